"""A mixture of three converted sources (tiny Visual Genome, RefCOCO and Flickr30k Entities in their official
formats, through vg2umg.py, refcoco2umg.py and flickr30k_entities2umg.py) trains the toy towers through
tools/train.py on configs/quickstart/pretrain_mixture_synthetic.py, logs its per-source counts, and resumes
exactly."""
import glob
import os.path as osp
import re

import pytest

from conftest import REPO, run_tool
from test_tools.test_train import scalars
from test_tools.tiny_sources import write_flickr30k_entities, write_refcoco, write_vg

CONFIG = osp.join(REPO, 'configs', 'quickstart', 'pretrain_mixture_synthetic.py')


def convert_three(root):
    """The three tiny sources converted into ``root/{vg,coco,flickr}``; returns the mixture's data set configs."""
    write_vg(osp.join(root, 'vg'))
    write_refcoco(osp.join(root, 'coco'))
    write_flickr30k_entities(osp.join(root, 'flickr'))
    run_tool('tools/dataset_converters/vg2umg.py', osp.join(root, 'vg', 'umg', 'train'), '--image-data',
             osp.join(root, 'vg', 'image_data.json'), '--region-descriptions',
             osp.join(root, 'vg', 'region_descriptions.json'), '--objects', osp.join(root, 'vg', 'objects.json'),
             '--attributes', osp.join(root, 'vg', 'attributes.json'))
    run_tool('tools/dataset_converters/refcoco2umg.py', osp.join(root, 'coco', 'umg', 'refcoco'), '--refs',
             osp.join(root, 'coco', 'refcoco', 'refs(unc).p'), '--instances',
             osp.join(root, 'coco', 'refcoco', 'instances.json'), '--image-prefix', 'train2014')
    run_tool('tools/dataset_converters/flickr30k_entities2umg.py', osp.join(root, 'flickr', 'umg', 'train'),
             '--entities', osp.join(root, 'flickr', 'entities'), '--image-prefix', 'flickr30k-images')
    return [(osp.join(root, 'vg'), 'umg/train-*.jsonl'), (osp.join(root, 'coco'), 'umg/refcoco-*.jsonl'),
            (osp.join(root, 'flickr'), 'umg/train-*.jsonl')]


@pytest.mark.slow
def test_mixture_of_three_converted_sources_trains_and_resumes(tmp_path):
    sources = convert_three(str(tmp_path))
    datasets = ',\n'.join(f"        dict(type='umgclip_mm.UMGDataset', data_root={r!r}, ann_files={a!r}, "
                          'pipeline=_base_.train_pipeline)' for r, a in sources)
    cfg = tmp_path / 'mixture.py'
    cfg.write_text(f"""_base_ = [{CONFIG!r}]
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False, dataset=dict(
    names=['vg', 'refcoco', 'flickr30k_entities'], weights=[2, 1, 1], length=16, log_interval=8,
    datasets=[
{datasets}]))
val_dataloader = None
val_cfg = None
val_evaluator = None
param_scheduler = []
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
""")
    straight, split = str(tmp_path / 'straight'), str(tmp_path / 'split')
    run_tool('tools/train.py', str(cfg), '--work-dir', straight, '--cfg-options', 'train_cfg.max_iters=4')
    log = open(glob.glob(osp.join(straight, '*', '*.log'))[0]).read()
    assert 'UMGMixtureDataset: 16 samples per pass from 3 sources: vg: 8 of 2 records (50.0%' in log
    assert 'refcoco: 4 of 2 records (25.0%' in log and 'flickr30k_entities: 4 of 2 records (25.0%' in log
    counts = re.findall(r'UMGMixtureDataset: 16 samples drawn in this process: vg (\d+) \(50.0%\), '
                        r'refcoco (\d+) \(25.0%\), flickr30k_entities (\d+) \(25.0%\)', log)
    assert counts == [('8', '4', '4')]  # one pass of 16 after 4 iterations of 4: every source in its share
    rows = scalars(straight)
    assert [r['iter'] for r in rows] == [1, 2, 3, 4]
    assert all(r['loss'] == r['loss'] and r['loss'] > 0 for r in rows)
    assert 'loss_region_caption' in rows[0]
    # exact resume: 2 iterations, then --resume to 4, gives the straight run's losses
    run_tool('tools/train.py', str(cfg), '--work-dir', split, '--cfg-options', 'train_cfg.max_iters=2')
    run_tool('tools/train.py', str(cfg), '--work-dir', split, '--resume', '--cfg-options', 'train_cfg.max_iters=4')
    resumed = scalars(split)
    assert [r['iter'] for r in resumed] == [1, 2, 3, 4]
    assert [r['loss'] for r in resumed] == [r['loss'] for r in rows]
