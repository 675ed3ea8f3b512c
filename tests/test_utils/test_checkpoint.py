"""Checkpoints load with weights-only unpickling: mmengine's own files work, a file that would run code is refused."""
import os
import os.path as osp
import pickle

import pytest
import torch

from umgclip_mm.apis import init_model
from umgclip_mm.utils import UnsafeCheckpointError, load_checkpoint_file

MARKER = {}


class _RunsCode:
    """Unpickling this calls os.system, which would create the marker file."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.system, (f'touch {self.path}', )


def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path, tiny_model_cfg):
    marker = tmp_path / 'pwned'
    evil = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': _RunsCode(str(marker))}, evil)
    with pytest.raises(UnsafeCheckpointError, match='refused to load'):
        load_checkpoint_file(str(evil))
    with pytest.raises(UnsafeCheckpointError):
        init_model(dict(model=tiny_model_cfg), str(evil))
    # mmengine's own loader (used by runner.resume / load_from) refuses it too
    from mmengine.runner import CheckpointLoader
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(str(evil), map_location='cpu')
    assert not marker.exists()


def test_missing_checkpoint_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_file(str(tmp_path / 'nope.pth'))


def test_empty_or_truncated_checkpoint_is_named(tmp_path):
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    with pytest.raises(ValueError, match=r"empty.pth' is empty or truncated \(0 bytes\)"):
        load_checkpoint_file(str(empty))
    whole = tmp_path / 'whole.pth'
    torch.save(dict(state_dict=dict(w=torch.arange(1000.))), whole)
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(whole.read_bytes()[:2000])
    with pytest.raises(ValueError, match='cut.pth.*truncated'):
        load_checkpoint_file(str(cut))
    assert load_checkpoint_file(str(whole))['state_dict']['w'][-1] == 999


def test_a_file_that_is_no_checkpoint_is_named_as_such(tmp_path):
    """An image or a text file given as checkpoint: said so, not reported as an unsafe pickle."""
    for name, data in (('photo.pth', b'\x89PNG\r\n\x1a\n' + bytes(32)), ('notes.pth', b'hello, world')):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=f'{name}.* is not a PyTorch checkpoint'):
            load_checkpoint_file(str(tmp_path / name))
    legacy = tmp_path / 'legacy.pth'
    torch.save(dict(w=torch.ones(2)), legacy, _use_new_zipfile_serialization=False)
    assert load_checkpoint_file(str(legacy))['w'].sum() == 2


def test_init_model_round_trip(tmp_path, tiny_model_cfg):
    model = init_model(dict(model=tiny_model_cfg))
    assert not model.training
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, tmp_path / 'm.pth')
    again = init_model(dict(model=tiny_model_cfg), str(tmp_path / 'm.pth'))
    x = torch.randn(1, 3, 32, 32)
    torch.testing.assert_close(again.encode_image(x), model.encode_image(x))
    assert osp.isfile(tmp_path / 'm.pth')


class _ReachesThroughGetattr:
    """A pickle that uses getattr, as mmengine's HistoryBuffer does, but for something other than statistics."""

    def __reduce__(self):
        from mmengine.logging import HistoryBuffer
        return getattr, (HistoryBuffer, '__init__')


def test_getattr_only_resolves_history_buffer_statistics(tmp_path):
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(1.5)
    ok = tmp_path / 'ok.pth'
    torch.save({'buf': buf}, ok)
    assert load_checkpoint_file(str(ok))['buf'].current() == 1.5
    evil = tmp_path / 'getattr.pth'
    torch.save({'x': _ReachesThroughGetattr()}, evil)
    with pytest.raises(UnsafeCheckpointError, match='getattr'):
        load_checkpoint_file(str(evil))
