"""Checkpoints load with weights-only unpickling: mmengine's own files work, a file that would run code is refused;
a damaged checkpoint is found cheaply and an automatic resume falls back past it."""
import logging
import os
import os.path as osp
import pickle

import pytest
import torch

from umgclip_mm.apis import init_model
from umgclip_mm.utils import UnsafeCheckpointError, load_checkpoint_file
from umgclip_mm.utils.checkpoint import checkpoint_damage, resume_checkpoint

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
    from umgclip_mm.apis.exceptions import CheckpointError
    with pytest.raises(CheckpointError, match='refused to load') as raised:  # init_model's typed error (issue 23)
        init_model(dict(model=tiny_model_cfg), str(evil))
    assert isinstance(raised.value.__cause__, UnsafeCheckpointError)
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


def test_checkpoint_damage_is_found_without_loading(tmp_path, monkeypatch):
    """Whole files (zip and legacy) pass; empty, cut anywhere, missing or foreign files are named for what they
    are; nothing is unpickled."""
    whole = tmp_path / 'whole.pth'
    torch.save(dict(state_dict=dict(w=torch.arange(5000.)), meta=dict(iter=4)), whole)
    monkeypatch.setattr(torch, 'load', None)
    monkeypatch.setattr(pickle, 'load', None)
    assert checkpoint_damage(str(whole)) is None
    legacy = tmp_path / 'legacy.pth'
    torch.save(dict(w=torch.ones(2)), legacy, _use_new_zipfile_serialization=False)
    assert checkpoint_damage(str(legacy)) is None  # cannot be checked without loading: taken as whole
    data = whole.read_bytes()
    for cut in (10, 2000, len(data) // 2, len(data) - 10):
        (tmp_path / 'cut.pth').write_bytes(data[:cut])
        assert checkpoint_damage(str(tmp_path / 'cut.pth')).startswith(f'is truncated ({cut} bytes'), cut
    (tmp_path / 'empty.pth').write_bytes(b'')
    assert checkpoint_damage(str(tmp_path / 'empty.pth')) == 'is empty (0 bytes)'
    assert checkpoint_damage(str(tmp_path / 'nope.pth')) == 'does not exist'
    (tmp_path / 'notes.pth').write_bytes(b'hello, world')
    assert checkpoint_damage(str(tmp_path / 'notes.pth')).startswith('is not a PyTorch checkpoint')


def work_dir_with(tmp_path, good, damaged, latest):
    """A work dir with whole checkpoints iter_<good>, cut ones iter_<damaged> and last_checkpoint naming
    iter_<latest>."""
    for it in good:
        torch.save(dict(meta=dict(iter=it), state_dict=dict(w=torch.full((100, ), float(it)))),
                   tmp_path / f'iter_{it}.pth')
    for it in damaged:
        torch.save(dict(meta=dict(iter=it), state_dict=dict(w=torch.zeros(100))), tmp_path / f'iter_{it}.pth')
        data = (tmp_path / f'iter_{it}.pth').read_bytes()
        (tmp_path / f'iter_{it}.pth').write_bytes(data[:len(data) // 2] if it % 2 else b'')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / f'iter_{latest}.pth'))
    return str(tmp_path)


def test_resume_falls_back_past_a_truncated_latest_checkpoint(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr('mmengine.logging.print_log', lambda msg, **kw: logged.append((msg, kw.get('level'))))
    assert resume_checkpoint(str(tmp_path)) is None  # no last_checkpoint: a fresh start
    work = work_dir_with(tmp_path, good=[2], damaged=[4], latest=4)  # iter_4.pth: 0 bytes
    assert resume_checkpoint(work) == osp.join(work, 'iter_2.pth')
    (msg, level), = logged
    assert level == logging.WARNING
    assert f'the latest checkpoint {work}/iter_4.pth is empty (0 bytes)' in msg
    assert f'resuming from the previous one, {work}/iter_2.pth' in msg
    # numbers, not names, say which is earlier; damaged ones in between are passed over
    work = work_dir_with(tmp_path, good=[9, 10], damaged=[11, 12], latest=12)
    assert resume_checkpoint(work) == osp.join(work, 'iter_10.pth')
    work = work_dir_with(tmp_path, good=[], damaged=[], latest=10)
    assert resume_checkpoint(work) == osp.join(work, 'iter_10.pth')  # a whole latest one is taken as it is


def test_resume_without_any_whole_checkpoint_says_what_to_do(tmp_path):
    work = work_dir_with(tmp_path, good=[], damaged=[3, 6], latest=6)
    with pytest.raises(FileNotFoundError, match=r'iter_6.pth .*is empty \(0 bytes\).*found: iter_3.pth.*--resume'):
        resume_checkpoint(work)


# ------------------------------------------------------------------------------- sharded (DCP) checkpoint dirs
def sharded_work_dir(tmp_path, iters, latest):
    """Sharded checkpoints iter_<it>/ of a small model and its AdamW state (one process), last_checkpoint naming
    iter_<latest>."""
    from umgclip_mm.engine.fsdp_checkpoint import save_sharded_checkpoint
    for it in iters:
        torch.manual_seed(it)
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 2))
        optimizer = torch.optim.AdamW(model.parameters())
        model(torch.randn(3, 4)).sum().backward()
        optimizer.step()
        save_sharded_checkpoint(str(tmp_path / f'iter_{it}'), model, optimizer, dict(meta=dict(iter=it)))
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / f'iter_{latest}'))
    return str(tmp_path)


def test_resume_skips_a_partial_sharded_checkpoint(tmp_path, monkeypatch):
    """A shard missing, a shard cut, the index missing (a save that did not finish), meta.pth cut: each makes
    --resume take the previous whole sharded checkpoint, with a warning naming what is wrong."""
    logged = []
    monkeypatch.setattr('mmengine.logging.print_log', lambda msg, **kw: logged.append(msg))
    work = sharded_work_dir(tmp_path, [2, 4], latest=4)
    assert resume_checkpoint(work) == osp.join(work, 'iter_4')  # whole: taken as it is
    latest = tmp_path / 'iter_4'
    shard = next(latest.glob('*.distcp'))
    data = shard.read_bytes()
    for damage, expected in [(lambda: shard.write_bytes(data[:len(data) // 2]), 'is truncated (its shard'),
                             (lambda: shard.unlink(), 'is incomplete (its shard'),
                             (lambda: (latest / '.metadata').rename(latest / 'index'), 'no .metadata'),
                             (lambda: (latest / 'meta.pth').write_bytes(b''), 'meta.pth is empty')]:
        damage()
        assert checkpoint_damage(str(latest)) is not None
        assert resume_checkpoint(work) == osp.join(work, 'iter_2'), damage
        assert expected in logged[-1] and 'resuming from the previous one' in logged[-1], logged[-1]
        shard.write_bytes(data)
        if (latest / 'index').exists():
            (latest / 'index').rename(latest / '.metadata')
    assert resume_checkpoint(work) is not None


def test_sharded_index_that_would_run_code_is_refused(tmp_path):
    from umgclip_mm.utils.checkpoint import read_sharded_metadata
    work = sharded_work_dir(tmp_path, [1], latest=1)
    marker = tmp_path / 'pwned'
    with open(osp.join(work, 'iter_1', '.metadata'), 'wb') as f:
        pickle.dump(_RunsCode(marker), f)
    with pytest.raises(UnsafeCheckpointError, match='posix.system|os.system'):
        read_sharded_metadata(osp.join(work, 'iter_1'))
    assert not marker.exists()
    assert 'is damaged' in checkpoint_damage(osp.join(work, 'iter_1'))


def test_sharded_tensors_read_back(tmp_path):
    """What save_sharded_checkpoint wrote reads back tensor by tensor (weights and both moments)."""
    from umgclip_mm.engine.fsdp_checkpoint import read_sharded_tensors
    work = sharded_work_dir(tmp_path, [3], latest=3)
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 2))
    optimizer = torch.optim.AdamW(model.parameters())
    model(torch.randn(3, 4)).sum().backward()
    optimizer.step()
    weights = dict(read_sharded_tensors(osp.join(work, 'iter_3')))
    assert sorted(weights) == sorted(model.state_dict())
    for k, v in model.state_dict().items():
        assert torch.equal(weights[k], v), k
    state = dict(read_sharded_tensors(osp.join(work, 'iter_3'), 'optimizer.state.'))
    assert torch.equal(state['1.weight.exp_avg'], optimizer.state[model[1].weight]['exp_avg'])
    assert torch.equal(state['1.weight.exp_avg_sq'], optimizer.state[model[1].weight]['exp_avg_sq'])
