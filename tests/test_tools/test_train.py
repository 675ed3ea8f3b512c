"""tools/train.py, tools/test.py and tools/dist_train.sh on the pretraining quickstart config over a toy world of a
few scenes: train, validate, save, resume from the same iteration, two processes with gloo."""
import glob
import json
import os.path as osp
import re
import sys

import pytest
import torch

import umgclip_mm  # noqa: F401  (allow-lists what mmengine checkpoints hold)

from conftest import run_tool

CFG = 'configs/quickstart/pretrain_synthetic.py'


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    """A toy world of 8 training and 4 validation scenes at 64 px."""
    root = str(tmp_path_factory.mktemp('toy') / 'syn')
    run_tool('tools/dataset_converters/make_synthetic.py', root, '--num-train', '8', '--num-val', '4', '--size', '64')
    return root


def small_run(root, *extra):
    """``--cfg-options`` for a few iterations on the toy world, logging and saving every iteration asked."""
    return ['--cfg-options', f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
            'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
            'val_dataloader.persistent_workers=False', 'default_hooks.logger.interval=1', 'param_scheduler=[]',
            *extra]


def scalars(work_dir):
    """The iterations and losses logged in work_dir (mmengine's scalars.json)."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    rows = [json.loads(line) for f in files for line in open(f)]
    return [r for r in rows if 'loss' in r]


def test_help_answers_without_importing_torch():
    for tool in ('tools/train.py', 'tools/test.py'):
        out = run_tool(tool, '--help', env={'PYTHONPROFILEIMPORTTIME': '1'})
        assert out.stdout.startswith('usage:') and '--cfg-options' in out.stdout
        assert not re.search(r'\|\s+torch$', out.stderr, re.M), f'{tool} --help imported torch'
    assert 'Usage' in run_tool('bash', 'tools/dist_train.sh', '--help').stdout


def test_train_validate_save_resume_continues(tmp_path, toy_root):
    """Every UMG-CLIP term is logged, retrieval is evaluated, iter_3 is saved with the message hub and loads with
    torch's weights-only default, and --resume continues at iteration 4, not 1."""
    work = str(tmp_path / 'work')
    opts = small_run(toy_root, 'train_cfg.val_interval=3', 'default_hooks.checkpoint.interval=3')
    run_tool('tools/train.py', CFG, '--work-dir', work, *opts, 'train_cfg.max_iters=3')
    rows = scalars(work)
    assert {f'loss_{lv}_{k}' for lv in ('image', 'region', 'mask') for k in ('caption', 'tag')} <= set(rows[0])
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert 'region-text retrieval over' in log and 'retrieval/region_top1' in log
    saved = torch.load(osp.join(work, 'iter_3.pth'), map_location='cpu')  # weights_only: the allow-list is enough
    assert saved['meta']['iter'] == 3 and 'message_hub' in saved
    run_tool('tools/train.py', CFG, '--work-dir', work, '--resume', *opts, 'train_cfg.max_iters=5')
    assert [r['iter'] for r in scalars(work)] == [1, 2, 3, 4, 5]  # resumed at 4, not restarted at 1
    assert torch.load(osp.join(work, 'iter_5.pth'), map_location='cpu')['meta']['iter'] == 5


def test_dist_train_two_processes(tmp_path, toy_root):
    work = str(tmp_path / 'dist')
    run_tool('bash', 'tools/dist_train.sh', CFG, '2', '--work-dir', work,
             *small_run(toy_root, 'train_cfg.max_iters=2', 'train_dataloader.batch_size=2', 'val_cfg=None',
                        'val_dataloader=None', 'val_evaluator=None', 'default_hooks.checkpoint.interval=2'),
             env={'PYTHON': sys.executable, 'PORT': '29533'}, timeout=300)
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    assert [r['iter'] for r in scalars(work)] == [1, 2]


def logged(text, key):
    """The last value of ``key`` in an mmengine log."""
    return float(re.findall(re.escape(key) + r': ([\d.]+)', text)[-1])


@pytest.mark.slow
def test_quickstart_pretraining_then_every_task_family(tmp_path):
    """What `make quickstart` runs (about 15 minutes here): the toy world at its default size; pretraining where
    every one of the six terms falls and region-text retrieval beats 5x chance; zero-shot mask recognition by
    class name beats 3x chance; then on the frozen towers the open-vocabulary panoptic model (unseen-class PQ above
    10 and higher with the out-of-vocabulary branch than without), the semantic segmentor (the same for unseen mIoU),
    the panoptic model's semantic output, the training-free segmentor, and the detector (unseen box AP50 higher with
    UMG-CLIP's region score than without)."""
    root, work, pan = str(tmp_path / 'syn'), str(tmp_path / 'pre'), str(tmp_path / 'pan')
    run_tool('tools/dataset_converters/make_synthetic.py', root)
    data = [f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}']
    run_tool('tools/train.py', 'configs/quickstart/pretrain_synthetic.py', '--work-dir', work, '--cfg-options',
             *data, timeout=1800)
    rows = scalars(work)
    for key in (f'loss_{lv}_{k}' for lv in ('image', 'region', 'mask') for k in ('caption', 'tag')):
        first = sum(r[key] for r in rows[:2]) / 2
        last = sum(r[key] for r in rows[-2:]) / 2
        assert last < first, (key, first, last)
    log = open(sorted(glob.glob(osp.join(work, '*', '*.log')))[-1]).read()
    region, chance = logged(log, 'retrieval/region_top1'), logged(log, 'retrieval/region_chance')
    assert region > 5 * chance, (region, chance)
    # zero-shot recognition of the held-out masks by class name (13 classes), as `make quickstart` runs it
    out = run_tool('tools/test.py', 'configs/quickstart/zeroshot_synthetic.py', f'{work}/iter_600.pth', '--work-dir',
                   f'{work}/zeroshot', '--cfg-options', f'test_dataloader.dataset.data_root={root}')
    mask_top1 = logged(out.stdout + out.stderr, 'zeroshot/mask_top1')
    assert mask_top1 > 3 * 100 / 13, mask_top1

    ann, seg = f'{root}/annotations/panoptic_val.json', f'{root}/annotations/panoptic_val/'
    opts = [f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
            f'test_dataloader.dataset.data_root={root}', f'val_evaluator.ann_file={ann}',
            f'val_evaluator.seg_prefix={seg}', f'test_evaluator.ann_file={ann}', f'test_evaluator.seg_prefix={seg}',
            f'model.clip.init_cfg.checkpoint={work}/iter_600.pth']
    run_tool('tools/train.py', 'configs/quickstart/panoptic_synthetic.py', '--work-dir', pan, '--cfg-options',
             *opts, timeout=1800)
    log = open(sorted(glob.glob(osp.join(pan, '*', '*.log')))[-1]).read()
    unseen_on = logged(log, 'coco_panoptic/PQ_unseen')
    out = run_tool('tools/test.py', 'configs/quickstart/panoptic_synthetic.py', f'{pan}/iter_1000.pth',
                   '--work-dir', f'{pan}/off', '--cfg-options', *opts, 'model.ensemble=None')
    unseen_off = logged(out.stdout + out.stderr, 'coco_panoptic/PQ_unseen')
    assert unseen_on > 10 and unseen_on > unseen_off, (unseen_on, unseen_off)

    # open-vocabulary semantic segmentation under mmseg's runner: trained (branch on and off), the panoptic
    # checkpoint's semantic output, and training-free; unseen classes found only with the frozen model's help
    sem = str(tmp_path / 'sem')
    sem_opts = [f'{k}_dataloader.dataset.data_root={root}' for k in ('train', 'val', 'test')] + [
        f'model.clip.init_cfg.checkpoint={work}/iter_600.pth']
    run_tool('tools/train.py', 'configs/quickstart/semseg_synthetic.py', '--work-dir', sem, '--cfg-options',
             *sem_opts, timeout=1800)
    log = open(sorted(glob.glob(osp.join(sem, '*', '*.log')))[-1]).read()
    sem_on = logged(log, 'mIoU_unseen')
    out = run_tool('tools/test.py', 'configs/quickstart/semseg_synthetic.py', f'{sem}/iter_1000.pth', '--work-dir',
                   f'{sem}/off', '--cfg-options', *sem_opts, 'model.ensemble=None')
    sem_off = logged(out.stdout + out.stderr, 'mIoU_unseen')
    assert sem_on > 10 and sem_on > sem_off, (sem_on, sem_off)
    test_opts = [f'test_dataloader.dataset.data_root={root}']
    out = run_tool('tools/test.py', 'configs/quickstart/panoptic_semantic_synthetic.py', f'{pan}/iter_1000.pth',
                   '--work-dir', f'{sem}/panoptic', '--cfg-options', *test_opts)
    assert logged(out.stdout + out.stderr, 'mIoU_unseen') > 10
    out = run_tool('tools/test.py', 'configs/quickstart/semseg_zeroshot_synthetic.py', f'{work}/iter_600.pth',
                   '--work-dir', f'{sem}/zeroshot', '--cfg-options', *test_opts)
    assert logged(out.stdout + out.stderr, 'mIoU') > 100 / 13  # above labelling every pixel with one class

    # open-vocabulary detection under mmdet's runner: unseen box AP50 with UMG-CLIP's region score and without
    det = str(tmp_path / 'det')
    ann = f'{root}/annotations/instances_val.json'
    det_opts = [f'{k}_dataloader.dataset.data_root={root}' for k in ('train', 'val', 'test')] + [
        f'val_evaluator.ann_file={ann}', f'test_evaluator.ann_file={ann}',
        f'model.clip.init_cfg.checkpoint={work}/iter_600.pth']
    run_tool('tools/train.py', 'configs/quickstart/detection_synthetic.py', '--work-dir', det, '--cfg-options',
             *det_opts, timeout=1800)
    log = open(sorted(glob.glob(osp.join(det, '*', '*.log')))[-1]).read()
    det_on = logged(log, 'coco/novel_ap50')
    ckpt = sorted(glob.glob(osp.join(det, 'iter_*.pth')))[-1]
    out = run_tool('tools/test.py', 'configs/quickstart/detection_synthetic.py', ckpt, '--work-dir', f'{det}/off',
                   '--cfg-options', *det_opts, 'model.ensemble=None')
    det_off = logged(out.stdout + out.stderr, 'coco/novel_ap50')
    assert det_on > 0 and det_on > det_off, (det_on, det_off)
