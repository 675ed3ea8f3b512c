"""Sharded pretraining (FSDP under mmengine's FlexibleRunner) on CPU processes (gloo): the toy pretraining config
sharded by FSDP gives the losses, gradient norms and weights of the same run under DDP, writes checkpoints in the
ordinary layout or sharded (DCP directories), and resumes exactly from either: a run stopped at 3 and resumed to 5
logs the uninterrupted run's steps 4 and 5 and ends with its weights and AdamW moments. A sharded checkpoint
consolidated by tools/model_converters/consolidate_checkpoint.py loads into a task config's model. Plus the parts on
their own: the wrap policy, and clipping by the global norm (which mmengine's OptimWrapper gets wrong under FSDP)."""
import copy
import glob
import json
import os
import os.path as osp
import socket
import sys

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import umgclip_mm  # noqa: F401  (allow-lists what mmengine checkpoints hold)
from conftest import TINY_TEXT, TINY_VIT, run_tool

FSDP_CFG = 'configs/quickstart/pretrain_fsdp_synthetic.py'
DDP_CFG = 'configs/quickstart/pretrain_synthetic.py'
TASK_CFG = 'configs/quickstart/panoptic_synthetic.py'
# sharded checkpoints, named as the E/14 preset names them (directories iter_<N>)
SHARDED = ('strategy.state_dict_cfg=sharded', 'default_hooks.checkpoint.filename_tmpl=iter_{}')


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('toy') / 'syn')
    run_tool('tools/dataset_converters/make_synthetic.py', root, '--num-train', '8', '--num-val', '2', '--size', '64')
    return root


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def train(cfg, work, root, iters, *extra, resume=False):
    """Two gloo processes through tools/dist_train.sh; clipping on (max_norm 1, far below the toy's norms)."""
    opts = [f'train_dataloader.dataset.data_root={root}', 'train_dataloader.batch_size=2',
            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False', 'val_cfg=None',
            'val_dataloader=None', 'val_evaluator=None', 'param_scheduler=[]', 'default_hooks.logger.interval=1',
            'default_hooks.checkpoint.interval=3', f'train_cfg.max_iters={iters}',
            'optim_wrapper.clip_grad.max_norm=1.0', *extra]
    run_tool('bash', 'tools/dist_train.sh', cfg, '2', '--work-dir', work, *(['--resume'] if resume else []),
             '--cfg-options', *opts, env={'PYTHON': sys.executable, 'PORT': str(free_port())}, timeout=400)


def logged(work):
    """{iteration: (loss, grad_norm)} from mmengine's scalars.json (rank 0's)."""
    rows = [json.loads(line) for f in sorted(glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json')))
            for line in open(f)]
    return {r['iter']: (r['loss'], r['grad_norm']) for r in rows if 'loss' in r}


def weights(path):
    state = torch.load(path, map_location='cpu', weights_only=True)['state_dict']
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}


@pytest.mark.slow
def test_fsdp_equals_ddp_and_saves_ordinary_checkpoints(tmp_path, toy_root):
    fsdp, ddp = str(tmp_path / 'fsdp'), str(tmp_path / 'ddp')
    train(FSDP_CFG, fsdp, toy_root, 3)
    # the same runner and data, with DDP instead of FSDP
    train(DDP_CFG, ddp, toy_root, 3, 'runner_type=FlexibleRunner', 'strategy.type=DDPStrategy')
    got, want = logged(fsdp), logged(ddp)
    assert sorted(got) == [1, 2, 3]
    for it in want:  # the loss of every step and the global gradient norm that clipping used
        assert got[it] == pytest.approx(want[it], rel=1e-4), (it, got[it], want[it])
    a, b = weights(osp.join(fsdp, 'iter_3.pth')), weights(osp.join(ddp, 'iter_3.pth'))
    assert sorted(a) == sorted(b)  # no 'module.' and no FSDP names: the layout every task config loads
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-3, atol=2e-4, msg=k)
    from mmengine.config import Config

    from umgclip_mm.registry import MODELS
    model = MODELS.build(Config.fromfile(osp.join(osp.dirname(osp.dirname(osp.dirname(__file__))), FSDP_CFG)).model)
    model.load_state_dict(a, strict=True)


@pytest.fixture(scope='module')
def fsdp_resume_runs(tmp_path_factory, toy_root):
    """A sharded run of 5 steps, and runs stopped at 3 and resumed to 5 from an ordinary and from a sharded
    checkpoint: their work dirs."""
    tmp = tmp_path_factory.mktemp('fsdp_resume')
    runs = dict(whole=str(tmp / 'whole'), full=str(tmp / 'full'), sharded=str(tmp / 'sharded'))
    train(FSDP_CFG, runs['whole'], toy_root, 5)
    for layout, extra in (('full', ()), ('sharded', SHARDED)):
        train(FSDP_CFG, runs[layout], toy_root, 3, *extra)
        train(FSDP_CFG, runs[layout], toy_root, 5, *extra, resume=True)
    return runs


def final_state(work):
    """The weights and AdamW's state ('<param>.exp_avg', ...) of the run's last checkpoint, file or directory."""
    from umgclip_mm.engine.fsdp_checkpoint import read_sharded_tensors
    if osp.isdir(osp.join(work, 'iter_5')):
        return (dict(read_sharded_tensors(osp.join(work, 'iter_5'))),
                dict(read_sharded_tensors(osp.join(work, 'iter_5'), 'optimizer.state.')))
    ckpt = torch.load(osp.join(work, 'iter_5.pth'), map_location='cpu', weights_only=True)
    return ckpt['state_dict'], {f'{name}.{key}': value for name, state in ckpt['optimizer']['state'].items()
                                for key, value in state.items()}


@pytest.mark.slow
@pytest.mark.parametrize('layout', ['full', 'sharded'])
def test_fsdp_resume_is_exact(fsdp_resume_runs, layout):
    """The resumed run logs the uninterrupted run's steps 4 (weights, data and schedule restored) and 5 (AdamW's
    moments restored: each on its own parameter) and ends with its weights and both moments."""
    got, want = logged(fsdp_resume_runs[layout]), logged(fsdp_resume_runs['whole'])
    assert sorted(got) == [1, 2, 3, 4, 5]
    for it in (4, 5):
        assert got[it] == pytest.approx(want[it], rel=1e-6), (it, got[it], want[it])
    (weights, moments), (ref_weights, ref_moments) = final_state(fsdp_resume_runs[layout]), \
        final_state(fsdp_resume_runs['whole'])
    assert sorted(weights) == sorted(ref_weights) and sorted(moments) == sorted(ref_moments)
    assert any(k.endswith('.exp_avg') for k in moments) and any(k.endswith('.exp_avg_sq') for k in moments)
    for k in ref_weights:
        torch.testing.assert_close(weights[k], ref_weights[k], rtol=1e-6, atol=1e-8, msg=k)
    for k in ref_moments:
        torch.testing.assert_close(moments[k], ref_moments[k], rtol=1e-6, atol=1e-10, msg=k)


@pytest.mark.slow
def test_sharded_checkpoint_consolidates_for_a_task_config(fsdp_resume_runs, tmp_path):
    """The sharded run's last checkpoint (2 ranks' shards), consolidated, loads into the task config's model (the
    panoptic toy config's UMG-CLIP, through its init_cfg) with no missing or unexpected key."""
    from mmengine.config import Config

    from umgclip_mm.registry import MODELS
    out = str(tmp_path / 'umgclip_toy.pth')
    run_tool('tools/model_converters/consolidate_checkpoint.py', osp.join(fsdp_resume_runs['sharded'], 'iter_5'), out)
    weights = torch.load(out, map_location='cpu', weights_only=True)['state_dict']
    cfg = Config.fromfile(osp.join(osp.dirname(osp.dirname(osp.dirname(__file__))), TASK_CFG))
    cfg.model.clip.init_cfg.checkpoint = out
    model = MODELS.build(cfg.model)
    result = model.clip.load_state_dict(weights, strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == [], result
    model.init_weights()  # the config's own route: Pretrained from the consolidated file
    ref, _ = final_state(fsdp_resume_runs['sharded'])
    for k, v in model.clip.state_dict().items():
        torch.testing.assert_close(v, ref[k], rtol=0, atol=0, msg=k)


# ----------------------------------------------------------------------------------------------- the parts alone
def _tiny_umgclip():
    from umgclip_mm.registry import MODELS
    torch.manual_seed(0)
    return MODELS.build(dict(type='umgclip_mm.UMGCLIP', backbone=copy.deepcopy(TINY_VIT),
                             text_encoder=copy.deepcopy(TINY_TEXT)))


def _grad_norms(rank, world, port, out):
    """Under FSDP on 2 ranks: what each optimizer wrapper clips by, against the norm of the unsharded gradient."""
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    from mmengine.optim import OptimWrapper
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP

    from umgclip_mm.engine import FSDPOptimWrapper, transformer_block_wrap_policy
    model = _tiny_umgclip()
    x = torch.randn(2, 3, 32, 32)
    ref = copy.deepcopy(model)
    ref.encode_image(x).sum().backward()
    full = torch.nn.utils.get_total_norm([p.grad for p in ref.parameters() if p.grad is not None])
    fsdp = FSDP(model, device_id=torch.device('cpu'), auto_wrap_policy=transformer_block_wrap_policy,
                use_orig_params=True)
    units = [type(m.module).__name__ for m in fsdp.modules() if isinstance(m, FSDP)]
    norms = {}
    for wrapper_type in (OptimWrapper, FSDPOptimWrapper):
        wrapper = wrapper_type(optimizer=torch.optim.SGD(fsdp.parameters(), lr=0.0), clip_grad=dict(max_norm=1e-3))
        with wrapper.optim_context(fsdp):
            loss = fsdp(x, mode='tensor').sum()
        wrapper.update_params(loss)
        norms[wrapper_type.__name__] = wrapper.message_hub.get_scalar('train/grad_norm').current()
    torch.save(dict(full=float(full), norms=norms, units=units), osp.join(out, f'rank{rank}.pt'))
    dist.destroy_process_group()


def test_global_clip_and_one_unit_per_block(tmp_path):
    mp.spawn(_grad_norms, args=(2, free_port(), str(tmp_path)), nprocs=2, join=True)
    for rank in range(2):
        got = torch.load(tmp_path / f'rank{rank}.pt', weights_only=True)
        # the root and one unit per residual block: 2 image blocks and 2 text blocks in the tiny towers
        assert got['units'] == ['UMGCLIP'] + ['ResidualAttentionBlock'] * 4, got['units']
        assert got['norms']['FSDPOptimWrapper'] == pytest.approx(got['full'], rel=1e-5)
        # mmengine's wrapper sees only this rank's shard of the gradient
        assert got['norms']['OptimWrapper'] < got['full'] * (1 - 1e-3)


# ------------------------------------------------------------------------------------ consolidate_checkpoint.py
def test_consolidate_help_and_refusals(tmp_path):
    out = run_tool('tools/model_converters/consolidate_checkpoint.py', '--help').stdout
    assert 'usage:' in out and 'sharded' in out
    proc = run_tool('bash', '-c', f'{sys.executable} tools/model_converters/consolidate_checkpoint.py {tmp_path} '
                    f'{tmp_path}/out.pth; echo rc=$?')
    assert 'no sharded checkpoint directory' in proc.stderr and proc.stdout.strip().endswith('rc=2')


def test_consolidate_writes_the_weights_of_a_sharded_save(tmp_path):
    """One process's sharded save of the tiny towers (the format 2 ranks write, tested slow above) becomes the
    ordinary file, equal weights, no optimizer; a cut shard is refused with its name."""
    from umgclip_mm.engine.fsdp_checkpoint import save_sharded_checkpoint
    model = _tiny_umgclip()
    optimizer = torch.optim.AdamW(model.parameters())
    save_sharded_checkpoint(str(tmp_path / 'iter_1'), model, optimizer, dict(meta=dict(iter=1)))
    out = run_tool('tools/model_converters/consolidate_checkpoint.py', str(tmp_path / 'iter_1'),
                   str(tmp_path / 'out.pth')).stdout
    assert f'{len(model.state_dict())} tensors' in out
    ckpt = torch.load(tmp_path / 'out.pth', weights_only=True)
    assert sorted(ckpt) == ['meta', 'state_dict'] and ckpt['meta']['iter'] == 1
    assert sorted(ckpt['state_dict']) == sorted(model.state_dict())
    for k, v in model.state_dict().items():
        assert torch.equal(ckpt['state_dict'][k], v), k
    shard = next((tmp_path / 'iter_1').glob('*.distcp'))
    shard.write_bytes(shard.read_bytes()[:100])
    proc = run_tool('bash', '-c', f'{sys.executable} tools/model_converters/consolidate_checkpoint.py '
                    f'{tmp_path}/iter_1 {tmp_path}/again.pth; echo rc=$?')
    assert f'its shard {shard.name} holds 100 of' in proc.stderr and proc.stdout.strip().endswith('rc=1')
