"""tools/train.py on configs/quickstart/pretrain_wds_synthetic.py: the streaming path (UMGWebDataset over tar shards
written by umg2wds.py) under the config's iteration-based loop, two data loader workers, across a pass boundary,
with a truncated shard whose warning reaches the run's log file; and (slow) a resumed run that continues exactly."""
import glob
import json
import os.path as osp

import pytest

from conftest import run_tool
from umgclip_mm.datasets.toy_world import generate

CFG = 'configs/quickstart/pretrain_wds_synthetic.py'


def toy_shards(root):
    """A toy world of 8 training scenes at 64 px, as tar shards of 3 samples (and their index) under root/wds."""
    generate(root, num_train=8, num_val=0, size=64)  # what make_synthetic.py writes
    run_tool('tools/dataset_converters/umg2wds.py', osp.join(root, 'umg', 'train.jsonl'),
             osp.join(root, 'wds', 'train'), '--data-root', root, '--shard-size', '3')


def losses(work):
    """{iteration: loss} from mmengine's scalars.json files in work."""
    files = sorted(glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json')))
    return {r['iter']: r['loss'] for f in files for r in map(json.loads, open(f)) if 'loss' in r}


@pytest.mark.slow  # trains (make test-all runs it)
def test_train_from_tar_shards(tmp_path):
    root, work = str(tmp_path / 'syn'), str(tmp_path / 'work')
    toy_shards(root)
    good = open(osp.join(root, 'wds', 'train-000000.tar'), 'rb').read()
    open(osp.join(root, 'wds', 'train-000099.tar'), 'wb').write(good[:len(good) // 2])  # a cut download
    # 4 samples per pass (the index would not list the cut shard: given instead), 2 workers x 1 batch of 2
    run_tool('tools/train.py', CFG, '--work-dir', work, '--cfg-options', f'train_dataloader.dataset.data_root={root}',
             'train_dataloader.dataset.shard_index=None', 'train_dataloader.dataset.num_samples=4',
             'train_dataloader.batch_size=2', 'train_dataloader.dataset.batch_size=2', 'train_cfg.max_iters=3',
             'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None', 'default_hooks.logger.interval=1',
             'default_hooks.checkpoint=None', timeout=300)
    assert sorted(losses(work)) == [1, 2, 3]
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert 'UMGWebDataset: 4 shards, 4 samples per pass (given as num_samples)' in log
    assert log.count('Reach the end of the dataloader') == 1  # passes of 2 batches: one restart in 3 iterations
    assert 'broken tar' in log and 'train-000099.tar' in log  # logged by a data loader worker


@pytest.mark.slow
def test_resume_continues_the_stream_exactly(tmp_path):
    """Three runs of tools/train.py (about 90 s here): 6 iterations straight, and 3 then --resume to 6 (the
    data set's skip(), no image of iterations 1-3 decoded again). Passes are 4 batches, so the resumed run finishes
    a pass and starts the next; its losses are those of the straight run, bit for bit."""
    root = str(tmp_path / 'syn')
    toy_shards(root)
    opts = ['--cfg-options', f'train_dataloader.dataset.data_root={root}', 'train_dataloader.batch_size=2',
            'train_dataloader.dataset.batch_size=2', 'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None',
            'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=3']
    straight, resumed = str(tmp_path / 'straight'), str(tmp_path / 'resumed')
    run_tool('tools/train.py', CFG, '--work-dir', straight, *opts, 'train_cfg.max_iters=6', timeout=600)
    run_tool('tools/train.py', CFG, '--work-dir', resumed, *opts, 'train_cfg.max_iters=3', timeout=600)
    run_tool('tools/train.py', CFG, '--work-dir', resumed, '--resume', *opts, 'train_cfg.max_iters=6', timeout=600)
    assert sorted(losses(resumed)) == [1, 2, 3, 4, 5, 6]
    assert losses(resumed) == losses(straight)
