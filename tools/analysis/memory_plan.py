#!/usr/bin/env python
"""Per-GPU memory of a UMG-CLIP pretraining config under each way of distributing it, and which fit a GPU.

For every strategy it prints what one GPU holds: parameters, gradients and AdamW state (each sharded or not), what
FSDP gathers on top, and the activations of the config's per-GPU batch with and without activation checkpointing
(``with_cp``) and token reduction. Parameter counts come from the config's model built on the meta device (no
memory, seconds even for E/14). Activations are MEASURED, not guessed: one- and two-block copies of each tower (same
widths, heads, token count after reduction, random weights) run forward on the CPU while autograd's saved-tensor
hooks add up what is kept for the backward pass; the difference is one block, the rest is the tower's embedding,
head and loss inputs. With ``--amp`` the same runs happen under CPU bf16 autocast, which keeps matrix products in
bf16 as CUDA autocast does (the element-wise ops it keeps in fp32 differ slightly between the two).

Strategies (all keep AdamW's two fp32 moments, 8 bytes a trained parameter, and fp32 master weights):
  ddp    every GPU holds everything; DDP's gradient buckets add a copy of the gradients
  zero1  mmengine's ZeroRedundancyOptimizer: AdamW state sharded over GPUs, weights and gradients whole
  fsdp   FlexibleRunner + umgclip_mm.FSDPStrategy, FULL_SHARD, one unit per transformer block: weights, gradients
         and AdamW state sharded; the root unit stays gathered, and two block units are gathered at a time
         (the one running and the prefetched one), with one block's full gradient before its reduce-scatter
  zero2  FSDP with SHARD_GRAD_OP: weights stay gathered between forward and backward; gradients and state sharded

Checkpoint saves (FSDPStrategy's state_dict_cfg) are planned in host memory, the other limit at E/14: 'full'
gathers the weights and both AdamW moments into rank 0's host memory and every rank reads the whole file to resume;
'sharded' (torch.distributed.checkpoint) gathers nothing: each rank copies one tensor of its shard at a time to the
host as it writes (plus DCP's 10 MB copy-ahead) and reads only its shard back.

--check runs the activation estimate against a measurement (Linux): the preset is built for real in a fresh process,
its towers take one training step on a synthetic batch of --batch and of twice as many images, and the peak resident
memory of each step above the state before it (activations, gradients and temporaries; the peak is restarted
through /proc/self/clear_refs) is printed beside the estimate, with what the extra images add in each.

Examples:
    python tools/analysis/memory_plan.py configs/umgclip/umgclip_eva02-e14_16xb128-amp-20k_umg41m.py --gpus 16
    python tools/analysis/memory_plan.py configs/umgclip/umgclip_vit-b16_8xb256-amp-20k_umg41m.py --gpus 8 \\
        --gpu-mem 40 --strategy ddp fsdp
    python tools/analysis/memory_plan.py configs/quickstart/pretrain_synthetic.py --gpus 1 --check
"""
import argparse
import copy
import sys

STRATEGIES = ('ddp', 'zero1', 'fsdp', 'zero2')
GiB = 1024 ** 3
# Distinct texts the text tower encodes per image in one step. UMG-41M has 389M regions over 41M images (9.5 a
# image), each with a caption; mask captions are the region captions (the same string is encoded once); plus the
# image caption and about 1.5 tags per image not already in the batch. An assumption: measure it on your shards.
TEXTS_PER_IMAGE = 12


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='a pretraining config (model type umgclip_mm.UMGCLIP)')
    parser.add_argument('--gpus', type=int, default=8, help='GPUs the job runs on (default 8)')
    parser.add_argument('--strategy', nargs='+', choices=STRATEGIES, default=list(STRATEGIES))
    parser.add_argument('--gpu-mem', type=float, default=80.0, help='GiB of one GPU (default 80)')
    parser.add_argument('--batch', type=int, help="images per GPU (default: the config's train batch size)")
    parser.add_argument('--texts-per-image', type=float, default=TEXTS_PER_IMAGE,
                        help=f'distinct texts encoded per image (default {TEXTS_PER_IMAGE}; see the source)')
    parser.add_argument('--amp', choices=['auto', 'on', 'off'], default='auto',
                        help="activations in bf16 autocast (auto: when the config's optim_wrapper is an AMP one)")
    parser.add_argument('--check', action='store_true',
                        help='measure the peak of one real training step at --batch and twice it, and compare')
    return parser.parse_args(argv)


def fmt(nbytes):
    return f'{nbytes / GiB:7.2f}'


# ------------------------------------------------------------------------------------------------------ parameters
def count_parameters(model_cfg):
    """Parameter counts of the model built on the meta device: total, trained, the largest block, the root unit."""
    import torch

    from umgclip_mm.engine.functions.transformer_block_wrap_policy import BLOCK_CLASS_NAMES
    from umgclip_mm.registry import MODELS
    with torch.device('meta'):
        model = MODELS.build(copy.deepcopy(model_cfg))
    total = sum(p.numel() for p in model.parameters())
    trained = sum(p.numel() for p in model.parameters() if p.requires_grad)
    blocks = [sum(p.numel() for p in m.parameters()) for m in model.modules()
              if type(m).__name__ in BLOCK_CLASS_NAMES]
    return dict(total=total, trained=trained, largest_block=max(blocks, default=0),
                root=total - sum(blocks), blocks=len(blocks),
                largest_tensor=max((p.numel() for p in model.parameters()), default=0))


# ----------------------------------------------------------------------------------------------------- activations
def _arch(cfg):
    """``(layers, width, patch)`` of a tower config: ours, or an EVA02 arch (its table in eva02_clip_vit.py)."""
    if str(cfg.get('type', '')).endswith('EVA02CLIPViT'):
        from umgclip_mm.models.backbones.eva02_clip_vit import EVA02_ARCHS
        arch = cfg.get('arch', 'eva02_base_patch16_clip_224')
        arch = dict(EVA02_ARCHS[arch] if isinstance(arch, str) else arch)
        arch.update({k: cfg[k] for k in ('depth', 'embed_dim', 'patch_size') if k in cfg})
        return arch['depth'], arch['embed_dim'], arch['patch_size']
    return cfg['num_layers'], cfg['embed_dims'], cfg.get('patch_size')


def _tower_cfg(cfg, num_layers, tower):
    """The tower config with ``num_layers`` blocks and no activation checkpointing (accounted for separately)."""
    cfg = copy.deepcopy(cfg)
    cfg['with_cp'] = False
    cfg.pop('init_cfg', None)
    cfg.pop('pretrained', None)
    if str(cfg.get('type', '')).endswith('EVA02CLIPViT'):
        cfg['depth'] = num_layers  # an override of the timm Eva arguments
    else:
        cfg['num_layers'] = num_layers
    if tower == 'image':
        cfg['out_indices'] = (num_layers - 1, )
    return cfg


def _saved_bytes(fn, params):
    """Bytes autograd keeps for the backward of ``fn()``, each storage once, leaving out the parameters themselves
    (they are counted as weights; what autocast casts of them is kept and counted)."""
    import torch
    skip = {p.untyped_storage().data_ptr() for p in params}
    seen = {}

    def pack(t):
        try:
            storage = t.untyped_storage()
        except (RuntimeError, NotImplementedError):  # a tensor without storage
            return t
        if storage.data_ptr() not in skip:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return sum(seen.values())


def measure_tower(model_cfg, tower, num_layers, batch, amp):
    """Saved bytes of one forward of a ``num_layers`` copy of the image or text tower over ``batch`` inputs."""
    import torch

    from umgclip_mm.registry import MODELS
    key = 'backbone' if tower == 'image' else 'text_encoder'
    cfg = _tower_cfg(model_cfg[key], num_layers, tower)
    torch.manual_seed(0)
    module = MODELS.build(cfg).train()
    for p in module.parameters():
        p.requires_grad_(True)
    if tower == 'image':
        size = cfg.get('img_size', 224)
        x = torch.randn(batch, 3, size, size)
        fn = lambda: module.forward_features(x)['global_embeds']  # noqa: E731
    else:
        ids = torch.randint(1, 1000, (batch, cfg.get('context_length', 77)))
        ids[:, -1] = 49407  # the end-of-text token
        fn = lambda: module(ids)  # noqa: E731
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=amp):
        return _saved_bytes(fn, list(module.parameters()))


def activation_plan(model_cfg, images, texts, amp):
    """Per-GPU activation bytes of each tower, without and with activation checkpointing.

    ``f(n, b)``, the bytes saved by an ``n``-block copy over ``b`` inputs, is measured at ``n, b`` in ``{1, 2}``: it is
    ``b * (rest + n * block) + (rest0 + n * block0)``, where the per-input terms are activations and the constant
    ones are what does not grow with the batch (under autocast, the bf16 copies of the weights that the backward
    pass reads).
    """
    out = {}
    for tower, n_in, key in (('image', images, 'backbone'), ('text', texts, 'text_encoder')):
        cfg = model_cfg[key]
        layers, width = _arch(cfg)[:2]
        f = {(n, b): measure_tower(model_cfg, tower, n, b, amp) for n in (1, 2) for b in (1, 2)}
        per_input = {n: f[n, 2] - f[n, 1] for n in (1, 2)}
        const = {n: f[n, 1] - per_input[n] for n in (1, 2)}
        block, block0 = per_input[2] - per_input[1], const[2] - const[1]
        rest, rest0 = per_input[1] - block, const[1] - block0
        # with_cp: each block keeps only its input (the residual stream, fp32 under autocast too); the block being
        # recomputed in the backward pass holds its full activations once
        cp_block = _tokens(cfg, tower) * width * 4
        out[tower] = dict(inputs=n_in, layers=layers, block=block, rest=rest, block0=block0, rest0=rest0,
                          plain=n_in * (rest + layers * block) + rest0 + layers * block0,
                          checkpointed=n_in * (rest + layers * cp_block + block) + rest0 + block0)
    return out


def _tokens(cfg, tower):
    """Tokens a block sees: the text window, or the class token and the patches left after token reduction."""
    if tower == 'text':
        return cfg.get('context_length', 77)
    n = (cfg.get('img_size', 224) // _arch(cfg)[2]) ** 2
    if cfg.get('token_reduction'):
        n = max(1, int(round(n * cfg['token_reduction']['keep_ratio'])))
    return n + 1


# ------------------------------------------------------------------------------------------------------- the plan
def state_bytes(params, strategy, gpus):
    """Per-GPU bytes of weights, gradients, optimizer state and FSDP's gathered units (fp32 everywhere)."""
    P, T = params['total'], params['trained']
    unit, root = params['largest_block'], params['root']
    rows = dict(weights=4 * P, grads=4 * T, optimizer=8 * T, extra=0)
    if strategy == 'ddp':
        rows['extra'] = 4 * T  # DDP's gradient buckets (gradient_as_bucket_view=True removes them)
    elif strategy == 'zero1':
        rows['optimizer'] = 8 * T / gpus
        rows['extra'] = 4 * T
    elif strategy == 'fsdp':
        rows.update(weights=4 * P / gpus, grads=4 * T / gpus, optimizer=8 * T / gpus)
        rows['extra'] = 4 * root + 2 * 4 * unit + 4 * unit  # root gathered; 2 blocks gathered; 1 block's grads
    elif strategy == 'zero2':
        rows.update(grads=4 * T / gpus, optimizer=8 * T / gpus)
        rows['extra'] = 4 * unit
    return rows


# DCP's FileSystemWriter copies tensors ahead of the one it writes, up to this many bytes per thread (its default)
DCP_COPY_AHEAD = 10_000_000


def save_host_bytes(params, gpus):
    """Host bytes of one checkpoint save and of the resume from it, per ``state_dict_cfg`` of FSDPStrategy: what
    rank 0 and every other rank hold while saving, and what each rank reads to resume (fp32 weights, AdamW's two
    fp32 moments of every trained parameter)."""
    P, T = params['total'], params['trained']
    whole = 4 * P + 8 * T
    largest = 3 * 4 * -(-params['largest_tensor'] // gpus)  # one parameter's shard and its two moments
    return dict(full=dict(rank0=whole, other=0, resume=whole),
                sharded=dict(rank0=largest + DCP_COPY_AHEAD, other=largest + DCP_COPY_AHEAD, resume=whole / gpus))


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config

    import umgclip_mm  # noqa: F401
    cfg = Config.fromfile(args.config)
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else dict(cfg.model)
    if not str(model_cfg.get('type', '')).endswith('UMGCLIP'):
        sys.exit(f'{args.config}: memory_plan.py plans pretraining configs (model type umgclip_mm.UMGCLIP), this one '
                 f'builds {model_cfg.get("type")!r}')
    batch = args.batch or cfg.train_dataloader.batch_size
    wrapper = str(cfg.get('optim_wrapper', {}).get('type', ''))
    amp = args.amp == 'on' or (args.amp == 'auto' and 'Amp' in wrapper)
    params = count_parameters(model_cfg)
    texts = int(round(batch * args.texts_per_image))
    acts = activation_plan(model_cfg, batch, texts, amp)
    with_cp = bool(model_cfg['backbone'].get('with_cp')), bool(model_cfg['text_encoder'].get('with_cp'))

    print(f'{args.config}')
    print(f'parameters {params["total"] / 1e6:.1f}M ({params["trained"] / 1e6:.1f}M trained), '
          f'{params["blocks"]} transformer blocks (largest {params["largest_block"] / 1e6:.1f}M), '
          f'{params["root"] / 1e6:.1f}M outside them')
    print(f'per GPU: {batch} images, {texts} texts ({args.texts_per_image:g} a image), {args.gpus} GPUs, '
          f'activations in {"bf16 autocast" if amp else "fp32"}')
    for tower in ('image', 'text'):
        a = acts[tower]
        print(f'  {tower} tower: {a["inputs"]} inputs x ({a["layers"]} blocks x {a["block"] / 2**20:.2f} MiB + '
              f'{a["rest"] / 2**20:.2f} MiB) saved for backward per input')
    act_plain = acts['image']['plain'] + acts['text']['plain']
    act_cp = acts['image']['checkpointed'] + acts['text']['checkpointed']
    act_cfg = sum(acts[t]['checkpointed' if cp else 'plain'] for t, cp in zip(('image', 'text'), with_cp))
    print()
    header = (f'{"strategy":8} {"weights":>8} {"grads":>8} {"AdamW":>8} {"extra":>8} {"acts":>8} {"acts+cp":>8} '
              f'{"total(config)":>14}  fits {args.gpu_mem:g} GiB')
    print(header + '\n' + '-' * len(header))
    for strategy in args.strategy:
        s = state_bytes(params, strategy, args.gpus)
        states = sum(s.values())
        total = states + act_cfg
        fits = 'yes' if total < 0.9 * args.gpu_mem * GiB else ('with cp' if states + act_cp < 0.9 * args.gpu_mem * GiB
                                                               else 'no')
        print(f'{strategy:8} {fmt(s["weights"])} {fmt(s["grads"])} {fmt(s["optimizer"])} {fmt(s["extra"])} '
              f'{fmt(act_plain)} {fmt(act_cp)} {fmt(total):>14}  {fits}')
    print(f'\nGiB per GPU. acts: without activation checkpointing; acts+cp: with it on both towers; total(config): '
          f'the config as written (with_cp image={with_cp[0]}, text={with_cp[1]}). "fits" leaves 10% for the CUDA '
          f'context, the caching allocator and temporaries.')
    print(f'\ncheckpoint saves (umgclip_mm.FSDPStrategy state_dict_cfg), GiB of host memory per process, '
          f'{args.gpus} processes:')
    header = f'{"state_dict_cfg":14} {"save rank0":>10} {"save other":>10} {"resume each":>11}  writes'
    print(header + '\n' + '-' * len(header))
    writes = dict(full='one file, by rank 0 (ordinary layout; any world size)',
                  sharded='a directory, a shard per rank (DCP; any world size)')
    for mode, row in save_host_bytes(params, args.gpus).items():
        print(f'{mode:14} {fmt(row["rank0"]):>10} {fmt(row["other"]):>10} {fmt(row["resume"]):>11}  {writes[mode]}')
    print('full: rank 0 gathers every weight and both AdamW moments; to resume, every process loads the whole file '
          '(a node of 8 GPUs reads it 8 times). sharded: each process holds one tensor of its shard at a time while '
          'writing, and reads its own shard back.')
    if args.check:
        if amp:  # the check runs in fp32
            acts = activation_plan(model_cfg, batch, texts, amp=False)
        check(args.config, model_cfg, batch, args.texts_per_image, params, acts)


# ------------------------------------------------------------------------------------------------------ the check
def measured_peak(model_cfg, batch, texts):
    """Peak resident bytes of one training step of the towers (no checkpointing, fp32) above the state before it,
    in a fresh process; the peak is restarted through /proc/self/clear_refs (Linux)."""
    import json
    import subprocess
    code = f'''
import ctypes, json, sys, torch
import umgclip_mm
from umgclip_mm.registry import MODELS
torch.manual_seed(0)
model = MODELS.build(json.loads({json.dumps(model_cfg)!r})).train()
for m in (model.backbone, model.text_encoder):
    for mod in m.modules():
        if hasattr(mod, 'with_cp'):
            mod.with_cp = False
size = model.backbone.img_size
x = torch.randn({batch}, 3, *(size if isinstance(size, (tuple, list)) else (size, size)))
ids = torch.randint(1, 1000, ({texts}, model.text_encoder.context_length)); ids[:, -1] = 49407
def status(key):
    return next(int(line.split()[1]) * 1024 for line in open('/proc/self/status') if line.startswith(key))
ctypes.CDLL('libc.so.6').malloc_trim(0)  # hand what building the model freed back to the system
open('/proc/self/clear_refs', 'w').write('5')  # restart the peak (VmHWM) from the present resident size
before = status('VmRSS')
img = model.backbone.forward_features(x)['global_embeds']
txt = model.text_encoder(ids)
(img.float().pow(2).mean() + txt.float().pow(2).mean()).backward()
print(json.dumps(dict(peak=status('VmHWM') - before)))
'''
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f'--check failed:\n{proc.stderr[-3000:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])['peak']


def plain_activations(acts, tower, inputs):
    """Activation bytes of ``inputs`` images or texts through a tower without checkpointing (``activation_plan``'s
    measured figures, at another batch)."""
    a = acts[tower]
    return inputs * (a['rest'] + a['layers'] * a['block']) + a['rest0'] + a['layers'] * a['block0']


def check(config, model_cfg, batch, texts_per_image, params, acts):
    """The estimate against the measured peak at ``batch`` and ``2 * batch`` images, fp32, no checkpointing.

    What a batch adds is compared too (the difference of the two): it cancels what a step costs at any batch size
    (the allocator's and the thread pools' first allocations), which dominates a toy model and vanishes at scale.
    """
    rows = []
    for b in (batch, 2 * batch):
        texts = int(round(b * texts_per_image))
        est = plain_activations(acts, 'image', b) + plain_activations(acts, 'text', texts) + 4 * params['trained']
        rows.append((b, texts, measured_peak(model_cfg, b, texts), est))
    print(f'\ncheck ({config}; fp32, no checkpointing): peak resident memory of one training step of both towers '
          'above the state before it, against the estimate (activations + fp32 gradients)')
    for b, texts, peak, est in rows:
        print(f'  {b:4d} images, {texts:5d} texts: measured {peak / 2**20:8.1f} MiB, estimate {est / 2**20:8.1f} MiB, '
              f'ratio {peak / est:.2f}')
    (_, _, p1, e1), (_, _, p2, e2) = rows
    print(f'  what {batch} more images add: measured {(p2 - p1) / 2**20:.1f} MiB, estimate {(e2 - e1) / 2**20:.1f} '
          f'MiB, ratio measured/estimate {(p2 - p1) / (e2 - e1):.2f}')


if __name__ == '__main__':
    main()
