"""tools/analysis/smoke_fullsize.py: every shipped config is in its plan, and (marked slow: minutes) the official
layouts it writes (umgclip_mm.datasets.fake_layouts + the converters) load through every config's data sets. The
smoke itself (real sizes, minutes a config) is not run here: `make smoke`."""
import glob
import os.path as osp
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
import pytest
from mmengine.config import Config
from mmengine.registry import DATASETS, init_default_scope

from conftest import REPO, run_tool

TOOL = 'tools/analysis/smoke_fullsize.py'


def shipped():
    found = glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    rel = [osp.relpath(p, osp.join(REPO, 'configs')) for p in found]
    return sorted(p for p in rel if not p.startswith(('quickstart/', '_base_/')))


def plan():
    """The --list output: {config: (phase, tower, checkpoint)}."""
    out = run_tool(TOOL, '--list').stdout
    return {c: rest for c, *rest in (line.split('\t') for line in out.splitlines())}


def test_help_and_every_shipped_config_is_planned():
    assert run_tool(TOOL, '--help').stdout.startswith('usage:')
    rows = plan()
    assert sorted(rows) == shipped()  # a new config fails here until PLAN lists it
    assert rows['umgclip/panoptic_coco.py'][0] == 'train'
    phase, tower, ckpt = rows['ov_semseg/ov-semseg_umgclip-vit-b16_8xb2-80k_coco-stuff2ade20k-847.py']
    assert (phase, tower) == ('test', 'vit-b16')
    # the checkpoint a transfer config is tested on is the one its header names
    with open(osp.join(REPO, 'configs/ov_semseg/ov-semseg_umgclip-vit-b16_8xb2-80k_coco-stuff2ade20k-847.py')) as f:
        assert ckpt in f.read()
    assert rows['zeroshot/umgclip-eva02-l14_zeroshot-cls_in1k.py'][1] == 'eva02-b16 (for eva02-l14)'
    out = run_tool(TOOL, '--list', '--full-towers', '--configs', 'fvlm/*eva02*').stdout
    assert [line.split('\t')[2] for line in out.splitlines()] == ['eva02-l14', 'eva02-l14']


def test_unknown_glob_is_a_clear_error():
    proc = subprocess.run([sys.executable, osp.join(REPO, TOOL), '--configs', 'nope/*', '--list'],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and 'no config of the plan matches' in proc.stderr


def test_amp_presets_train_in_float32_on_a_cpu_with_their_own_wrapper_kind(tmp_path):
    """The smoke trains the *-amp-* presets as tools/train.py --fp32 does; the FSDP preset keeps its FSDP wrapper
    (FSDPAmpOptimWrapper, which mmengine's device check refuses on a CPU too, was not recognised as AMP before)."""
    from conftest import load_tool
    smoke = load_tool(TOOL)
    fsdp = osp.join(REPO, 'configs/umgclip/umgclip_eva02-e14_16xb128-fsdp-amp-20k_umg41m.py')
    if torch.cuda.is_available():
        pytest.skip('AmpOptimWrapper runs on a GPU: nothing is switched')
    assert smoke.amp_on_cpu(fsdp)
    assert not smoke.amp_on_cpu(osp.join(REPO, 'configs/umgclip/panoptic_coco.py'))
    path = smoke.derived_config('umgclip/umgclip_eva02-e14_16xb128-fsdp-amp-20k_umg41m.py', 'eva02-b16', True,
                                str(tmp_path))
    wrapper = Config.fromfile(path).optim_wrapper
    assert path.endswith('.eva02-b16.fp32.py')
    assert wrapper.type == 'umgclip_mm.FSDPOptimWrapper' and 'dtype' not in wrapper
    assert wrapper.clip_grad == dict(max_norm=1.0)


@pytest.fixture(scope='module')
def layouts(tmp_path_factory):
    """WORK_DIR of the smoke with its data written (the layouts, then the converters)."""
    root = tmp_path_factory.mktemp('smoke')
    run_tool(TOOL, '--prepare-only', '--work-dir', str(root))
    return root


def datasets_of(config):
    cfg = Config.fromfile(osp.join(REPO, 'configs', config))
    found = []
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if loader and loader.get('dataset'):
            found.append((name, loader['dataset']))
    return cfg.get('default_scope', 'umgclip_mm'), found


@pytest.mark.slow  # about 40 s of writing and converting, then the reading below (2-3 minutes on a busy 2-core CPU)
def test_layouts_are_what_the_converters_and_mmseg_expect(layouts):
    from PIL import Image
    data = layouts / 'data'
    label = np.array(Image.open(next((data / 'ADE20K_2021_17_01/annotations_detectron2/validation').iterdir())))
    assert label.dtype == np.uint16 and {0, 412, 65535} == set(np.unique(label).tolist())  # wall, tube, unlisted
    pc459 = np.array(Image.open(next((data / 'pascal_ctx_d2/annotations_ctx459/validation').iterdir())))
    assert pc459.dtype == np.uint16 and pc459.max() < 459
    img = Image.open(next((data / 'coco/val2017').iterdir()))
    assert img.size == (640, 480)


@pytest.mark.slow
def test_every_config_reads_one_sample_of_its_layout(layouts, monkeypatch):
    """Each data set of every shipped config, data roots as shipped (relative: the smoke's WORK_DIR plays the
    repository root), gives a sample through its pipeline at the config's sizes; a data set several configs share
    is read once."""
    monkeypatch.chdir(layouts)
    assert (layouts / 'configs').resolve() == Path(REPO, 'configs').resolve()  # the smoke links configs/ (class lists)
    seen = {}
    for config in shipped():
        scope, found = datasets_of(config)
        assert found, config
        for name, ds_cfg in found:
            key = (scope, repr(ds_cfg.to_dict()))
            if key in seen:
                continue
            init_default_scope(scope)
            try:
                dataset = DATASETS.build(ds_cfg)
                sample = dataset[0] if hasattr(dataset, '__getitem__') else next(iter(dataset))
            except Exception as e:  # noqa: B902  (re-raised with the config and loader named)
                raise AssertionError(f'{config} {name}: {type(e).__name__}: {e}') from e
            assert sample, (config, name)
            seen[key] = config
    assert len(seen) >= 25  # distinct data sets read (train and val of each benchmark, the zero-shot sets)


def test_data_check_takes_a_glob_that_matches(tmp_path):
    """Found by the smoke: the pretraining configs' ``ann_files='annotations/train-*.jsonl'`` was checked as a
    literal path, so tools/train.py refused UMG-41M's real layout."""
    from umgclip_mm.apis.launch import check_data_exist
    cfg = Config(dict(train_dataloader=dict(dataset=dict(type='umgclip_mm.UMGDataset', data_root=str(tmp_path),
                                                         ann_files='annotations/train-*.jsonl'))))
    with pytest.raises(FileNotFoundError, match=r'train-\*\.jsonl'):
        check_data_exist(cfg, ['train_dataloader'])
    (tmp_path / 'annotations').mkdir()
    (tmp_path / 'annotations' / 'train-000000.jsonl').write_text('{}\n')
    check_data_exist(cfg, ['train_dataloader'])  # no error


def test_the_table_row_is_the_metric_line_or_the_error(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location('smoke_fullsize', osp.join(REPO, TOOL))
    smoke = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(smoke)
    log = tmp_path / 'run.log'
    log.write_text('12/07 18:07:54 - mmengine - INFO - Iter(train) [2/2]  lr: 1e-4  time: 221.4779  data_time: 0.1  '
                   'grad_norm: 372.9  loss: 157.1506  loss_cls: 9.3\n'
                   '12/07 18:09:01 - mmengine - INFO - Iter(val) [1/2]    eta: 0:01:14  time: 74.1\n'
                   '12/07 18:10:15 - mmengine - INFO - Iter(val) [2/2]    aAcc: 1.0  mIoU: 0.5  time: 74.3\n')
    row = smoke.summarise(str(log), 0, 'train')
    assert row == 'train: 221.4779 s/iter, loss 157.1506; aAcc: 1.0  mIoU: 0.5  time: 74.3'
    log.write_text('12/07 18:28:48 - mmengine - ERROR - ov_coco_metric.py - compute_metrics - 105 - The testing '
                   'results of the whole dataset is empty.\n'
                   '12/07 18:28:48 - mmengine - INFO - Epoch(val) [1][2/2]    data_time: 0.0462  time: 79.1287\n')
    assert smoke.summarise(str(log), 0, 'test').endswith('NO METRICS: ov_coco_metric.py - compute_metrics - 105 - '
                                                         'The testing results of the whole dataset is empty.')
    log.write_text('Traceback (most recent call last):\n  File "x.py", line 1\nRuntimeError: selected index k out of '
                   'range\n')
    assert smoke.summarise(str(log), 1, 'test') == 'ERROR: RuntimeError: selected index k out of range'
    assert smoke.summarise(str(log), None, 'test').startswith('TIMEOUT')
    out = smoke.run_logged([sys.executable, '-c', 'x = bytearray(300 * 2**20); print("done")'], str(log), str(tmp_path),
                           timeout=60)
    assert out['returncode'] == 0 and 0.29 < out['rss_gib'] < 1.0 and log.read_text() == 'done\n'
    out = smoke.run_logged([sys.executable, '-c', 'import time; time.sleep(30)'], str(log), str(tmp_path), timeout=1)
    assert out['returncode'] is None and out['seconds'] < 10


# The semantic benchmarks' data-set fragments (configs/_base_/datasets/ov_semseg_*.py).
SEMANTIC = ('coco-stuff-171', 'ade20k-150', 'ade20k-847', 'pascal-context-59', 'pascal-context-459',
            'pascal-voc-20', 'pascal-voc-21')


def test_semantic_ground_truth_is_read_as_written_and_scores_100(tmp_path, monkeypatch):
    """Why the smoke's semantic rows read aAcc 0.0 (issue 20): not the data path. Each semantic benchmark's test set,
    written in its layout (16-bit ADE-847 and PC-459 through their converters) at 64x48, reads back the class
    indices written (reduce_zero_label, VOC-20's label map, 65535 ignored), the model's test vocabulary names the
    data set's classes in its order, and the config's evaluator scores the ground truth as prediction 100. (A random
    model predicts one class per image, and it was none of the image's 2-5: 0.0 is its honest score.)"""
    from mmseg.registry import DATASETS as SEG_DATASETS
    from mmseg.registry import METRICS
    from PIL import Image

    from umgclip_mm.datasets import fake_layouts
    from umgclip_mm.vocabulary import build_vocabulary

    from conftest import load_tool
    data = tmp_path / 'data'
    size = (64, 48)
    fake_layouts.write_coco_stuff(str(data), 1, size)
    fake_layouts.write_ade20k(str(data), 1, size)
    fake_layouts.write_ade20k_full(str(data), 1, size)
    fake_layouts.write_pascal(str(data), 1, size)
    monkeypatch.chdir(data)
    for script, args in fake_layouts.CONVERTERS:
        if script in ('prepare_ade20k_847.py', 'prepare_pascal_context_459.py'):
            load_tool(f'tools/dataset_converters/{script}').main(args)
    monkeypatch.chdir(tmp_path)  # the configs' data roots are data/...
    init_default_scope('mmseg')
    for name in SEMANTIC:
        cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', f'ov_semseg_{name}.py'))
        dataset = SEG_DATASETS.build(cfg.test_dataloader.dataset)
        classes = dataset.metainfo['classes']
        names = build_vocabulary(cfg.vocab).names  # index k: the same class to model and metric (names cleaned up)
        assert len(names) == len(classes) and all(n in c.replace('-', ' ') for n, c in zip(names, classes)), name
        sample = dataset[0]
        gt = sample['data_samples'].gt_sem_seg.data[0].numpy()
        labels = set(np.unique(gt).tolist()) - {255, 65535}
        assert labels and max(labels) < len(classes), (name, labels)
        written = np.array(Image.open(dataset.get_data_info(0)['seg_map_path'])).astype(np.int64)
        if name in ('ade20k-150', 'pascal-context-59'):  # reduce_zero_label: 0 ("other") ignored, k + 1 is class k
            assert np.array_equal(np.where(written == 0, 255, written - 1), gt), name
        elif name == 'pascal-voc-20':  # background ignored, class k + 1 of VOC-21 is class k
            assert np.array_equal(np.where(written % 255 == 0, 255, written - 1), gt), name
        elif name == 'ade20k-847':
            assert labels == {0, 412} and (classes[0], classes[412]) == ('wall', 'tube')
        else:
            assert np.array_equal(written, gt), name
        metric = METRICS.build(cfg.test_evaluator)
        metric.dataset_meta = dataset.metainfo
        metric.process({}, [dict(pred_sem_seg=dict(data=torch.from_numpy(gt)[None]),
                                 gt_sem_seg=dict(data=torch.from_numpy(gt)[None]))])
        scores = metric.compute_metrics(metric.results)
        assert scores['aAcc'] == 100 and scores['mIoU'] == 100, (name, scores)
