"""tools/dist_test.sh (two gloo processes evaluate a checkpoint on CPU), dist_train.sh and the launcher they share,
dist_launch.sh (the torch.distributed.run command line, read off a fake interpreter), tools/slurm_train.sh,
tools/slurm_test.sh and their launcher, tools/slurm_launch.sh (the srun command line they build, read off a fake
``srun`` first on PATH)."""
import os
import os.path as osp
import re
import sys

import pytest
import torch
from mmengine.config import Config

from conftest import REPO, run_tool
from umgclip_mm.registry import MODELS

CFG = 'configs/quickstart/pretrain_synthetic.py'
SCRIPTS = ('tools/dist_train.sh', 'tools/dist_test.sh', 'tools/dist_launch.sh', 'tools/slurm_train.sh',
           'tools/slurm_test.sh', 'tools/slurm_launch.sh')


@pytest.mark.parametrize('script', SCRIPTS)
def test_help_and_missing_arguments(script):
    out = run_tool('bash', script, '--help')
    assert out.stdout.startswith(('Distributed', 'Training', 'Evaluation', 'Any tool')) and 'Usage: ' in out.stdout
    assert 'bash ' + script in out.stdout
    # too few arguments: the usage, and a failing exit status
    proc = run_tool('bash', '-c', f'bash {script} only_one; echo "rc=$?"')
    assert 'Usage: ' in proc.stdout and proc.stdout.strip().endswith('rc=2')


@pytest.mark.slow  # two processes started by torchrun, each building the model: end to end (make test-all)
def test_dist_test_evaluates_with_two_processes(tmp_path):
    """A checkpoint of the toy pretraining model is evaluated by two processes (gloo on CPU); the retrieval metric
    is computed over the whole validation set, gathered from both ranks."""
    root = str(tmp_path / 'syn')
    run_tool('tools/dataset_converters/make_synthetic.py', root, '--num-train', '2', '--num-val', '4', '--size', '64')
    cfg = Config.fromfile(osp.join(REPO, CFG))
    model = MODELS.build(cfg.model)
    ckpt = str(tmp_path / 'model.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    out = run_tool('bash', 'tools/dist_test.sh', CFG, ckpt, '2', '--work-dir', str(tmp_path / 'work'),
                   '--cfg-options', f'test_dataloader.dataset.data_root={root}', 'test_dataloader.batch_size=2',
                   'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
                   env={'PYTHON': sys.executable, 'PORT': '29541'}, timeout=300)
    log = out.stdout + out.stderr
    assert 'Distributed launcher: pytorch' in log and 'GPU number: 2' in log, log[-2000:]  # 2 processes
    # each rank ran 2 of the 4 scenes; the metric saw all 4
    assert 'image-text retrieval over 4 images' in log and re.search(r'retrieval/image_top1: [\d.]+', log), \
        log[-2000:]


@pytest.fixture
def fake_srun(tmp_path):
    """A directory whose ``srun`` prints its arguments one per line instead of starting tasks."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    srun.write_text('#!/usr/bin/env bash\nprintf "PYTHONPATH=%s\\n" "$PYTHONPATH"\nprintf "%s\\n" "$@"\n')
    srun.chmod(0o755)
    return {'PATH': f'{bin_dir}{os.pathsep}{os.environ["PATH"]}'}


def test_slurm_train_builds_the_srun_command(fake_srun):
    env = dict(fake_srun, GPUS='16', GPUS_PER_NODE='8', CPUS_PER_TASK='6', SRUN_ARGS='--quotatype=auto --exclusive')
    out = run_tool('bash', 'tools/slurm_train.sh', 'part1', 'job1', CFG, 'work_dirs/x', '--amp', '--cfg-options',
                   'a=1', env=env)
    args = out.stdout.splitlines()
    assert args[0].startswith('PYTHONPATH=tools/..')
    assert args[1:12] == ['-p', 'part1', '--job-name=job1', '--gres=gpu:8', '--ntasks=16', '--ntasks-per-node=8',
                          '--cpus-per-task=6', '--kill-on-bad-exit=1', '--quotatype=auto', '--exclusive', 'python']
    assert args[12:] == ['-u', 'tools/train.py', CFG, '--work-dir=work_dirs/x', '--launcher=slurm', '--amp',
                         '--cfg-options', 'a=1']


def test_slurm_test_builds_the_srun_command(fake_srun):
    out = run_tool('bash', 'tools/slurm_test.sh', 'part1', 'job1', CFG, 'model.pth', '--work-dir', 'w',
                   env=dict(fake_srun, PYTHON='python3'))
    args = out.stdout.splitlines()
    assert args[1:10] == ['-p', 'part1', '--job-name=job1', '--gres=gpu:8', '--ntasks=8', '--ntasks-per-node=8',
                          '--cpus-per-task=5', '--kill-on-bad-exit=1', 'python3']  # defaults; no SRUN_ARGS
    assert args[10:] == ['-u', 'tools/test.py', CFG, 'model.pth', '--launcher=slurm', '--work-dir', 'w']


def test_dist_train_builds_the_torchrun_command(tmp_path):
    fake_python = tmp_path / 'python'
    fake_python.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    fake_python.chmod(0o755)
    out = run_tool('bash', 'tools/dist_train.sh', CFG, '4', '--amp', env={'PYTHON': str(fake_python), 'PORT': '29555'})
    assert out.stdout.splitlines() == [
        '-m', 'torch.distributed.run', '--nnodes=1', '--node_rank=0', '--master_addr=127.0.0.1', '--nproc_per_node=4',
        '--master_port=29555', 'tools/train.py', CFG, '--launcher', 'pytorch', '--amp']


def test_slurm_launch_runs_any_tool_and_refuses_one_that_is_not_there(fake_srun):
    out = run_tool('bash', 'tools/slurm_launch.sh', 'analysis/benchmark.py', 'part1', 'job1', '--what', 'vocabulary',
                   env=fake_srun)
    assert out.stdout.splitlines()[-4:] == ['-u', 'tools/analysis/benchmark.py', '--what', 'vocabulary']
    proc = run_tool('bash', '-c', 'bash tools/slurm_launch.sh trian.py part1 job1; echo "rc=$?"', env=fake_srun)
    assert proc.stdout.strip() == 'rc=2' and 'there is no tools/trian.py' in proc.stderr
