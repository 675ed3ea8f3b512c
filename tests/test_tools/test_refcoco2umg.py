"""tools/dataset_converters/refcoco2umg.py on a tiny RefCOCO (refs(unc).p, a protocol-2 pickle like the released
ones, and instances.json), and the restricted unpickler against a malicious pickle."""
import os
import os.path as osp
import pickle

import pytest
import torch

from conftest import run_tool
from test_tools.tiny_sources import convert, load_converted, write_refcoco
from umgclip_mm.datasets.converters import UnsafePickleError, load_data_pickle

TOOL = 'tools/dataset_converters/refcoco2umg.py'


class _Exploit:
    """Unpickling this with pickle.load runs ``touch MARKER``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


def test_help():
    out = run_tool(TOOL, '--help').stdout
    assert out.startswith('usage:') and '--refs' in out and '--splits' in out


def test_refcoco_to_umg(tmp_path, capsys):
    root = str(tmp_path)
    expect = write_refcoco(root)
    out, err = convert(capsys, 'refcoco2umg', osp.join(root, 'refcoco', 'umg', 'train'), '--refs',
                       osp.join(root, 'refcoco', 'refs(unc).p'), '--instances',
                       osp.join(root, 'refcoco', 'instances.json'), '--image-prefix', 'train2014')
    assert 'wrote 2 images in 1 shard(s)' in out and '1 skipped: 1 bad ref' in out
    assert 'ref 4' in err and 'ann_id 999' in err
    records, exact, train = load_converted(root, 'refcoco/umg/train-*.jsonl')
    assert [r['image'] for r in records] == ['train2014/COCO_train2014_000000000009.jpg',
                                            'train2014/COCO_train2014_000000000025.jpg']
    first = records[0]
    assert [m['captions'] for m in first['masks']] == [['brown dog on the left', 'the dog'], ['man standing right']]
    assert [m['tags'] for m in first['masks']] == [['dog'], ['person']] and first['tags'] == ['dog', 'person']
    assert first['regions'][0]['bbox'] == [10.0, 10.0, 30.0, 25.0]
    assert records[1]['masks'][0]['captions'] == ['person at the bottom']  # the val expression is left out
    dog = exact[0]['data_samples'].masks
    assert dog.masks.shape == (2, 48, 64) and 250 <= int(dog.masks[0].sum()) <= 340  # the 20x15 polygon
    assert all(out['inputs'].shape == (3, 64, 64) for out in train)
    out, _ = convert(capsys, 'refcoco2umg', osp.join(root, 'all'), '--refs', osp.join(root, 'refcoco', 'refs(unc).p'),
                     '--instances', osp.join(root, 'refcoco', 'instances.json'), '--splits', 'all')
    assert 'wrote 2 images' in out and expect['images'] == 2
    last = open(osp.join(root, 'all-00000.jsonl')).read().splitlines()[-1]
    assert 'held out expression' in last


def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path, capsys):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'refs(unc).p'
    with open(path, 'wb') as f:
        pickle.dump([{'ref_id': 0, 'sentences': [_Exploit(marker)]}], f, protocol=2)
    with pytest.raises(UnsafePickleError, match=r'refused to load (posix|os)\.system'):
        load_data_pickle(str(path))
    assert not marker.exists()
    # the tool says so and stops with status 1, still without running it
    instances = tmp_path / 'instances.json'
    instances.write_text('{"images": [], "annotations": [], "categories": []}')
    _, err = convert(capsys, 'refcoco2umg', tmp_path / 'out', '--refs', path, '--instances', instances, status=1)
    assert 'refused to load' in err
    assert not marker.exists() and not (tmp_path / 'out-00000.jsonl').exists()
    # control: the exploit is real (plain unpickling of these bytes, our own test file, runs the command)
    evil = path.read_bytes()
    pickle.loads(evil)
    assert marker.exists()
    # a plain data pickle of every builtin kind still loads, and a pickle naming a class is refused too
    plain = [{'a': (1, 2.5, None, True), 'b': {3, 4}, 'd': 'é', 'e': [frozenset({'x'})]}]
    path.write_bytes(pickle.dumps(plain, protocol=2))
    assert load_data_pickle(str(path)) == plain
    path.write_bytes(pickle.dumps([torch.Size([2])], protocol=2))
    with pytest.raises(UnsafePickleError, match='torch.Size'):
        load_data_pickle(str(path))
    path.write_bytes(b'not a pickle')
    with pytest.raises(pickle.UnpicklingError, match='not a readable pickle'):
        load_data_pickle(str(path))
