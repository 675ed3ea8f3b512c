"""Sharded pretraining (FSDP under mmengine's FlexibleRunner) on CPU processes (gloo): the toy pretraining config
sharded by FSDP gives the losses, gradient norms and weights of the same run under DDP, writes checkpoints in the
ordinary layout, and resumes exactly. Plus the parts on their own: the wrap policy, and clipping by the global norm
(which mmengine's OptimWrapper gets wrong under FSDP)."""
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
            'default_hooks.checkpoint.interval=3', f'train_cfg.max_iters={iters}', 'optim_wrapper.clip_grad.max_norm=1.0',
            *extra]
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
    """A sharded run of 5 steps, and one stopped at 3 and resumed to 5: their logs."""
    tmp = tmp_path_factory.mktemp('fsdp_resume')
    whole, parts = str(tmp / 'whole'), str(tmp / 'parts')
    train(FSDP_CFG, whole, toy_root, 5)
    train(FSDP_CFG, parts, toy_root, 3)
    train(FSDP_CFG, parts, toy_root, 5, resume=True)
    return logged(parts), logged(whole)


@pytest.mark.slow
def test_fsdp_resume_restores_weights_and_data(fsdp_resume_runs):
    """The resumed run goes on at step 4 with the weights and the data of the uninterrupted run: its step-4 loss and
    gradient norm (computed before step 4's update) are the uninterrupted run's."""
    got, want = fsdp_resume_runs
    assert sorted(got) == [1, 2, 3, 4, 5]
    assert got[4] == pytest.approx(want[4], rel=1e-5), (got[4], want[4])


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason='known defect: FSDP.optim_state_dict_to_load (torch 2.14, use_orig_params) '
                   'hands some parameters the wrong AdamW moments when a full optimizer state dict is loaded, so '
                   'step 4 updates differently and step 5 differs (loss by 0.3%); docs/distributed.md')
def test_fsdp_resume_restores_the_optimizer_state(fsdp_resume_runs):
    got, want = fsdp_resume_runs
    assert got[5] == pytest.approx(want[5], rel=1e-5), (got[5], want[5])


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
