"""tools/dataset_converters/umg2wds.py: UMG JSON-lines of the toy world -> WebDataset tar shards that
UMGWebDataset reads back as the same samples."""
import importlib.util
import json
import os.path as osp
import tarfile

import pytest
import torch

from conftest import REPO, run_tool
from umgclip_mm.datasets import UMGDataset, UMGWebDataset
from umgclip_mm.datasets.toy_world import generate

TOOL = 'tools/dataset_converters/umg2wds.py'
PIPELINE = [dict(type='umgclip_mm.LoadUMGImage'), dict(type='umgclip_mm.LoadUMGAnnotations'),
            dict(type='umgclip_mm.PackUMGInputs')]


def test_help():
    out = run_tool(TOOL, '--help').stdout
    assert out.startswith('usage:') and '--shard-size' in out and '--data-root' in out


def test_toy_world_to_shards_and_back(tmp_path):
    root = str(tmp_path)
    generate(root, num_train=7, num_val=0, size=48)
    lines = open(osp.join(root, 'umg', 'train.jsonl')).read().splitlines()
    missing = dict(json.loads(lines[0]), image='images/train/nowhere.png')
    with open(osp.join(root, 'umg', 'more.jsonl'), 'w') as f:  # two bad lines, skipped and reported
        f.write('{not json\n' + json.dumps(missing) + '\n')
    out = run_tool(TOOL, osp.join(root, 'umg', '*.jsonl'), osp.join(root, 'wds', 'train'), '--data-root', root,
                   '--shard-size', '3', '--progress-every', '4')
    assert 'wrote 7 samples in 3 shard(s)' in out.stdout and 'skipped 2 record(s)' in out.stdout
    assert '4/9 records' in out.stdout and 'more.jsonl:1' in out.stderr and 'nowhere.png' in out.stderr
    index = json.load(open(osp.join(root, 'wds', 'train-index.json')))
    assert [s['nsamples'] for s in index['shardlist']] == [3, 3, 1]
    names = tarfile.open(osp.join(root, 'wds', 'train-000000.tar')).getnames()
    assert names == ['00000000.json', '00000000.png', '00000001.json', '00000001.png', '00000002.json',
                     '00000002.png']

    ds = UMGWebDataset(data_root=root, shard_index='wds/train-index.json', pipeline=PIPELINE, test_mode=True)
    ref = UMGDataset('umg/train.jsonl', data_root=root, pipeline=PIPELINE, test_mode=True)
    assert ds.num_samples == len(ref) == 7
    streamed = list(ds)
    assert len(streamed) == len(ref)
    for i, got in enumerate(streamed):  # in order: shards and samples as written
        want = ref[i]
        assert torch.equal(got['inputs'], want['inputs'])
        assert got['data_samples'].caption == want['data_samples'].caption
        torch.testing.assert_close(got['data_samples'].regions.bboxes, want['data_samples'].regions.bboxes)
        assert torch.equal(got['data_samples'].masks.masks, want['data_samples'].masks.masks)


def test_wrong_data_root_is_a_clear_error(tmp_path):
    root = str(tmp_path)
    generate(root, num_train=2, num_val=0, size=32)
    spec = importlib.util.spec_from_file_location('umg2wds', osp.join(REPO, TOOL))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with pytest.raises(SystemExit, match=r"no sample written.*--data-root '/nowhere'"):
        tool.main([osp.join(root, 'umg', 'train.jsonl'), osp.join(root, 'wds', 'x'), '--data-root', '/nowhere'])
