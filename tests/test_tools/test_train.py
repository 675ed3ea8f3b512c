"""tools/train.py, tools/test.py and tools/dist_train.sh on the pretraining quickstart config over a toy world of a
few scenes: train, validate, save, resume from the same iteration, two processes with gloo."""
import glob
import json
import os.path as osp
import re
import sys
from concurrent.futures import ThreadPoolExecutor

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


@pytest.mark.slow  # trains (make test-all runs it)
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


@pytest.mark.slow  # trains (make test-all runs it)
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


def last_log(work_dir):
    """The text of the newest mmengine log in work_dir."""
    return open(sorted(glob.glob(osp.join(work_dir, '*', '*.log')))[-1]).read()


# The quickstart test's processes: one thread each, however pytest runs (alone or in xdist workers), so that its
# figures are the same run to run (bitwise at a fixed thread count) and its side-by-side chains do not oversubscribe.
ONE_THREAD = {'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'}


def evaluated(*args):
    """tools/test.py's output (stdout and stderr), in one thread."""
    out = run_tool('tools/test.py', *args, env=ONE_THREAD)
    return out.stdout + out.stderr


@pytest.mark.slow
def test_quickstart_pretraining_then_every_task_family(tmp_path):
    """What `make quickstart` runs: the toy world at its default size; pretraining where every one of the six terms
    falls and region-text retrieval beats 5x chance; zero-shot mask recognition by class name beats 3x chance; then
    on the frozen towers the open-vocabulary panoptic model (unseen-class PQ above 10 and higher with the ensemble
    than without), the semantic segmentor (the same for unseen mIoU), the panoptic model's semantic output, the
    training-free segmentor, and the detector (unseen box AP50 higher with the ensemble than without).

    The three task families depend only on the pretraining checkpoint, so they run side by side (one chain of runs
    each, in threads that wait on the tools' processes): under `make test-all` each process has one thread, and
    three one-thread chains keep both cores busy where one chain after another would leave one idle."""
    root, work = str(tmp_path / 'syn'), str(tmp_path / 'pre')
    run_tool('tools/dataset_converters/make_synthetic.py', root, env=ONE_THREAD)
    data = [f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}']
    run_tool('tools/train.py', 'configs/quickstart/pretrain_synthetic.py', '--work-dir', work, '--cfg-options',
             *data, timeout=1800, env=ONE_THREAD)
    rows = scalars(work)
    for key in (f'loss_{lv}_{k}' for lv in ('image', 'region', 'mask') for k in ('caption', 'tag')):
        first = sum(r[key] for r in rows[:2]) / 2
        last = sum(r[key] for r in rows[-2:]) / 2
        assert last < first, (key, first, last)
    log = last_log(work)
    region, chance = logged(log, 'retrieval/region_top1'), logged(log, 'retrieval/region_chance')
    assert region > 5 * chance, (region, chance)
    pretrained = f'model.clip.init_cfg.checkpoint={work}/iter_600.pth'
    test_opts = [f'test_dataloader.dataset.data_root={root}']

    def zeroshot():
        """Zero-shot recognition of the held-out masks by class name (13 classes), and the training-free segmentor."""
        out = evaluated('configs/quickstart/zeroshot_synthetic.py', f'{work}/iter_600.pth', '--work-dir',
                     f'{work}/zeroshot', '--cfg-options', *test_opts)
        out_seg = evaluated('configs/quickstart/semseg_zeroshot_synthetic.py', f'{work}/iter_600.pth', '--work-dir',
                         f'{work}/semseg_zeroshot', '--cfg-options', *test_opts)
        return dict(mask_top1=logged(out, 'zeroshot/mask_top1'), zeroshot_miou=logged(out_seg, 'mIoU'))

    def panoptic():
        """Trained with the ensemble, tested without it, and its semantic output under mmseg's metric."""
        pan = str(tmp_path / 'pan')
        ann, seg = f'{root}/annotations/panoptic_val.json', f'{root}/annotations/panoptic_val/'
        opts = [*(f'{k}_dataloader.dataset.data_root={root}' for k in ('train', 'val', 'test')),
                f'val_evaluator.ann_file={ann}', f'val_evaluator.seg_prefix={seg}', f'test_evaluator.ann_file={ann}',
                f'test_evaluator.seg_prefix={seg}', pretrained]
        run_tool('tools/train.py', 'configs/quickstart/panoptic_synthetic.py', '--work-dir', pan, '--cfg-options',
                 *opts, timeout=2400, env=ONE_THREAD)
        off = evaluated('configs/quickstart/panoptic_synthetic.py', f'{pan}/iter_1000.pth', '--work-dir', f'{pan}/off',
                     '--cfg-options', *opts, 'model.ensemble=None')
        sem = evaluated('configs/quickstart/panoptic_semantic_synthetic.py', f'{pan}/iter_1000.pth', '--work-dir',
                     f'{pan}/semantic', '--cfg-options', *test_opts)
        return dict(pq_on=logged(last_log(pan), 'coco_panoptic/PQ_unseen'),
                    pq_off=logged(off, 'coco_panoptic/PQ_unseen'), panoptic_miou=logged(sem, 'mIoU_unseen'))

    def semseg():
        """Open-vocabulary semantic segmentation under mmseg's runner, with and without the ensemble."""
        sem = str(tmp_path / 'sem')
        opts = [*(f'{k}_dataloader.dataset.data_root={root}' for k in ('train', 'val', 'test')), pretrained]
        run_tool('tools/train.py', 'configs/quickstart/semseg_synthetic.py', '--work-dir', sem, '--cfg-options',
                 *opts, timeout=2400, env=ONE_THREAD)
        off = evaluated('configs/quickstart/semseg_synthetic.py', f'{sem}/iter_1000.pth', '--work-dir', f'{sem}/off',
                     '--cfg-options', *opts, 'model.ensemble=None')
        return dict(miou_on=logged(last_log(sem), 'mIoU_unseen'), miou_off=logged(off, 'mIoU_unseen'))

    def detection():
        """Open-vocabulary detection under mmdet's runner: unseen box AP50 with and without the ensemble."""
        det = str(tmp_path / 'det')
        ann = f'{root}/annotations/instances_val.json'
        opts = [*(f'{k}_dataloader.dataset.data_root={root}' for k in ('train', 'val', 'test')),
                f'val_evaluator.ann_file={ann}', f'test_evaluator.ann_file={ann}', pretrained]
        run_tool('tools/train.py', 'configs/quickstart/detection_synthetic.py', '--work-dir', det, '--cfg-options',
                 *opts, timeout=2400, env=ONE_THREAD)
        ckpt = sorted(glob.glob(osp.join(det, 'iter_*.pth')))[-1]
        off = evaluated('configs/quickstart/detection_synthetic.py', ckpt, '--work-dir', f'{det}/off', '--cfg-options',
                     *opts, 'model.ensemble=None')
        return dict(ap50_on=logged(last_log(det), 'coco/novel_ap50'), ap50_off=logged(off, 'coco/novel_ap50'))

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(chain) for chain in (panoptic, semseg, detection, zeroshot)]
        got = {}
        for future in futures:
            got.update(future.result())
    assert got['mask_top1'] > 3 * 100 / 13, got
    assert got['pq_on'] > 10 and got['pq_on'] > got['pq_off'], got
    assert got['miou_on'] > 10 and got['miou_on'] > got['miou_off'], got
    assert got['panoptic_miou'] > 10, got
    assert got['zeroshot_miou'] > 100 / 13, got  # above labelling every pixel with one class
    assert got['ap50_on'] > 0 and got['ap50_on'] > got['ap50_off'], got
