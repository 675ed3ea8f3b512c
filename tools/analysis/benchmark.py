#!/usr/bin/env python
"""Throughput and peak memory of our CLIP image towers against transformers', open_clip's and timm's, side by side.

All three towers carry the same weights (a random open_clip model, converted to ours with the project's converter
and from ours to transformers' names), are checked to give the same embeddings, then timed in this one process on
the same input: forward (no grad) and forward+backward, interleaved round by round so that machine noise falls on
all three alike. Prints images/s, peak memory and our ratios against each reference. Where the size has an EVA02-CLIP
tower (B/16, L/14, tiny), our EVA02 wrapper and timm's Eva with the same weights are timed beside them.

Peak memory is what one call adds on top of what was allocated before it, measured in a separate untimed pass after
the timing: on CUDA torch's allocator peak; on CPU the peak resident set size, sampled every millisecond by a
background thread, with glibc's free pages trimmed before each call and glibc told to map every allocation over 64
KiB on its own and unmap it when freed (so freed memory leaves the RSS and each call's peak is seen; that setting
would slow the timed rounds, hence the separate pass).

Two more measurements of the pretraining path:
    --what token-reduction   training-step time (forward + backward) of our tower with UMG-CLIP's 75% token
                             reduction (cluster merging, and random masking) against no reduction
    --what umg-index         memory per image of UMGDataset's lazy index, on a generated shard of --lines records
    --what semseg            open-vocabulary semantic segmentation (trained and training-free segmentors, 150 and
                             847 classes) against the bare image tower at --img (tools/analysis/benchmark_semseg.py)

And three that explain the figures:
    --what roofline          the physical limit: FLOPs of our towers (torch.utils.flop_counter) and their achieved
                             GFLOP/s against a plain matmul of the MLP's shape doing the same FLOPs, at the same dtype
                             and thread count, interleaved; the ratio per round (a CPU's matmul peak drifts within
                             minutes, so only interleaved ratios mean anything)
    --what blocks            one transformer block of each tower (ours, transformers', open_clip's, our EVA02 one)
                             on the same tokens, forward and forward+backward, interleaved: median and spread
    --what autocast          bf16 autocast against fp32 for our towers and a plain matmul, interleaved, with the
                             embeddings' deviation
    --what onnx              onnxruntime against PyTorch on the CPU for both exported encoders
                             (tools/deployment/export_onnx.py), interleaved, with the largest difference

And one of the open-vocabulary models' set-up:
    --what vocabulary        encoding a vocabulary's class embeddings (umgclip_mm.VocabularyEncoder: distinct
                             prompts, length-sorted batches cut to their longest prompt, inference mode; fp32 and
                             bf16 autocast) against today's path (every prompt padded to 77 tokens, in class order,
                             kept below as reference_encode) on --classes classes of ADE-847 with CLIP's 80 templates,
                             interleaved, with the parity and the bf16 cosines; then the time of the five benchmark
                             vocabularies (ADE-150, ADE-847, PC-59, PC-459, VOC-20) and LVIS-1203, estimated from a
                             sample of --classes classes each (--full: encoded whole)

Ratios come with their spread: the ratio is taken within each round (both timed seconds apart) and its median and
interquartile range over the rounds printed as "median [q1-q3]". --dtype bf16 runs the towers, blocks,
token-reduction and roofline modes under torch.autocast (bf16); the default is fp32.

Examples (the README's figures):
    python tools/analysis/benchmark.py --arch vitb16 --batch 8 --img 224 --rounds 5
    python tools/analysis/benchmark.py --what token-reduction --arch vitb16 --batch 8 --img 224 --rounds 5
    python tools/analysis/benchmark.py --what umg-index --lines 1000000
    python tools/analysis/benchmark.py --what semseg --img 512 --rounds 3
    python tools/analysis/benchmark.py --what roofline --arch vitb16 --batch 8 --img 224 --rounds 5 [--dtype bf16]
    python tools/analysis/benchmark.py --what blocks --arch vitb16 --batch 8 --img 224 --rounds 30
    python tools/analysis/benchmark.py --what autocast --arch vitb16 --batch 8 --img 224 --rounds 5
    python tools/analysis/benchmark.py --what onnx --arch vitb16 --batch 8 --img 224 --rounds 5
    python tools/analysis/benchmark.py --what vocabulary --arch vitb16 --classes 4 --rounds 2
"""
import argparse
import contextlib
import ctypes
import io
import os.path as osp
import statistics
import sys
import threading
import time

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

ARCHS = {  # open_clip vision/text configs; heads are 64 wide as in every published CLIP
    'vitb16': dict(width=768, layers=12, patch_size=16, text_width=512, text_layers=12, embed_dim=512,
                   eva02='eva02_base_patch16_clip_224'),
    'vitb32': dict(width=768, layers=12, patch_size=32, text_width=512, text_layers=12, embed_dim=512),
    'vitl14': dict(width=1024, layers=24, patch_size=14, text_width=768, text_layers=12, embed_dim=768,
                   eva02='eva02_large_patch14_clip_224'),
    'tiny': dict(width=128, layers=2, patch_size=16, text_width=128, text_layers=1, embed_dim=64,
                 eva02=dict(patch_size=16, embed_dim=128, depth=2, num_heads=2, qkv_fused=False, mlp_ratio=4 * 2 / 3,
                            swiglu_mlp=True, scale_mlp=True, scale_attn_inner=True, use_rot_pos_emb=True,
                            ref_feat_shape=(2, 2))),
}
# Rows compared: (ours, reference). The EVA02 reference is timm's Eva, which open_clip's EVA02 models run.
PAIRS = (('ours', 'transformers'), ('ours', 'open_clip'), ('ours_eva02', 'timm_eva02'))
DTYPES = {'fp32': torch.float32, 'bf16': torch.bfloat16}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--what', choices=['towers', 'token-reduction', 'umg-index', 'semseg', 'roofline', 'blocks',
                                           'autocast', 'onnx', 'vocabulary'], default='towers')
    parser.add_argument('--lines', type=int, default=1_000_000, help='records in the shard (umg-index)')
    parser.add_argument('--arch', choices=sorted(ARCHS), default='vitb16')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--img', type=int, default=224, help='input side in pixels')
    parser.add_argument('--rounds', type=int, default=5, help='timed rounds per model and mode (median reported)')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch decides)')
    parser.add_argument('--dtype', choices=sorted(DTYPES), default='fp32',
                        help='fp32, or bf16 autocast (towers, blocks, token-reduction, roofline; --what autocast '
                        'compares both)')
    parser.add_argument('--classes', type=int, default=4,
                        help='vocabulary: classes of each vocabulary encoded by both paths / sampled for the estimate')
    parser.add_argument('--num-templates', type=int, default=80,
                        help='vocabulary: the first N of CLIP\'s 80 ImageNet templates')
    parser.add_argument('--full', action='store_true',
                        help='vocabulary: encode every vocabulary whole with the new path instead of estimating')
    args = parser.parse_args(argv)
    if args.dtype != 'fp32' and args.what in ('umg-index', 'semseg', 'autocast', 'onnx', 'vocabulary'):
        parser.error(f'--dtype {args.dtype} does not apply to --what {args.what}: leave --dtype at fp32 '
                     '(--what autocast times fp32 and bf16 itself)')
    return args


class PeakMemory:
    """Peak memory added during a ``with`` block (bytes): CUDA allocator peak, or sampled CPU RSS."""

    def __init__(self, device):
        self.device = torch.device(device)
        self.peak = 0

    @staticmethod
    def rss():
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * 4096

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss() - self.base)
            time.sleep(0.001)

    def __enter__(self):
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.base = torch.cuda.memory_allocated(self.device)
        else:
            LIBC.malloc_trim(0)  # hand freed heap pages back, so re-using them shows in the RSS again
            self.base = self.rss()
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            self.peak = torch.cuda.max_memory_allocated(self.device) - self.base
        else:
            self._stop.set()
            self._thread.join()
            self.peak = max(self.peak, self.rss() - self.base)


LIBC = ctypes.CDLL('libc.so.6') if sys.platform.startswith('linux') else None


def exact_cpu_rss_accounting():
    """Make glibc return freed large blocks to the OS at once, so the RSS follows tensor allocations."""
    m_trim_threshold, m_mmap_threshold = -1, -3
    LIBC.mallopt(m_mmap_threshold, 64 * 1024)
    LIBC.mallopt(m_trim_threshold, 64 * 1024)


def build_towers(arch, img_size, device):
    """Our tower, transformers' CLIPVisionModelWithProjection and open_clip's visual, with identical weights."""
    from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    from umgclip_mm.converters import convert_state_dict, infer_model_config, umgclip_to_hf
    from umgclip_mm.registry import MODELS
    a = ARCHS[arch]
    torch.manual_seed(0)
    oc = CLIP(embed_dim=a['embed_dim'], quick_gelu=True,
              vision_cfg=CLIPVisionCfg(layers=a['layers'], width=a['width'], patch_size=a['patch_size'],
                                       image_size=img_size, head_width=64),
              text_cfg=CLIPTextCfg(width=a['text_width'], layers=a['text_layers'], heads=a['text_width'] // 64))
    ours_sd = convert_state_dict(oc.state_dict())
    cfg = infer_model_config(ours_sd, act='quick_gelu')['backbone']
    ours = MODELS.build(cfg)
    ours.load_state_dict({k[len('backbone.'):]: v for k, v in ours_sd.items() if k.startswith('backbone.')})

    hf = CLIPVisionModelWithProjection(
        CLIPVisionConfig(hidden_size=a['width'], intermediate_size=4 * a['width'], num_hidden_layers=a['layers'],
                         num_attention_heads=a['width'] // 64, image_size=img_size, patch_size=a['patch_size'],
                         projection_dim=a['embed_dim'], hidden_act='quick_gelu',
                         attn_implementation='sdpa'))  # transformers' fastest CLIP attention, same kernel as ours
    hf_sd = umgclip_to_hf({k: v for k, v in ours_sd.items() if k.startswith('backbone.')})
    missing, unexpected = hf.load_state_dict(hf_sd, strict=False)
    assert not unexpected and all(k.endswith('position_ids') for k in missing), (missing, unexpected)
    towers = dict(ours=ours, transformers=hf, open_clip=oc.visual)
    if a.get('eva02'):  # the EVA02-CLIP tower of the same size: our wrapper and timm's Eva with its weights
        ours_eva = MODELS.build(dict(type='umgclip_mm.EVA02CLIPViT', arch=a['eva02'], img_size=img_size,
                                     output_dims=a['embed_dim']))
        from timm.models.eva import Eva
        from umgclip_mm.models.backbones import EVA02_ARCHS
        arch = EVA02_ARCHS[a['eva02']] if isinstance(a['eva02'], str) else a['eva02']
        timm_eva = Eva(img_size=img_size, num_classes=a['embed_dim'], global_pool='token', **arch)
        timm_eva.load_state_dict(ours_eva.trunk.state_dict())
        towers.update(ours_eva02=ours_eva, timm_eva02=timm_eva)
    return {k: m.to(device) for k, m in towers.items()}


def autocast(device, dtype):
    """``torch.autocast`` to ``dtype`` (a key of DTYPES) on ``device``; a no-op for fp32."""
    return torch.autocast(device.type, dtype=DTYPES[dtype], enabled=dtype != 'fp32')


def run(model, name, x, backward, dtype='fp32'):
    """The global embeddings of tower ``name`` (forward under ``dtype`` autocast), and a backward pass through them."""
    with autocast(x.device, dtype):
        if name == 'transformers':
            out = model(pixel_values=x).image_embeds
        elif name.startswith('ours'):
            out = model.forward_features(x, with_dense=False)['global_embeds']
        else:
            out = model(x)
    if backward:
        out.float().square().mean().backward()
    return out


def interleave(steps, rounds, device):
    """Call every step once per round, round-robin (round 0 warms up): ``{name: [seconds per round]}``."""
    times = {name: [] for name in steps}
    for rnd in range(rounds + 1):
        for name, step in steps.items():
            t0 = time.perf_counter()
            step()
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
            if rnd:
                times[name].append(time.perf_counter() - t0)
    return times


def spread(ratios):
    """``'median [q1-q3]'`` of per-round ratios."""
    q = statistics.quantiles(ratios, n=4, method='inclusive') if len(ratios) > 1 else ratios * 3
    return f'{statistics.median(ratios):.2f}x [{q[0]:.2f}-{q[2]:.2f}]'


def train_step(model, name, x, backward, dtype):
    """One timed call: forward (no grad) or forward+backward with fresh gradients."""
    def step():
        model.zero_grad(set_to_none=True)
        with torch.set_grad_enabled(backward):
            run(model, name, x, backward, dtype)
    return step


def count_flops(step):
    """Floating-point operations of one call of ``step`` (matmuls, convolutions and attention, as
    ``torch.utils.flop_counter`` counts them: 2 per multiply-add)."""
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


def our_tower_cfgs(arch, img_size, output_dims=None):
    """Configs of our OpenAI-style tower (and the EVA02 one where the size has it) at ``arch``."""
    a = ARCHS[arch]
    cfgs = dict(ours=dict(type='umgclip_mm.UMGCLIPViT', img_size=img_size, patch_size=a['patch_size'],
                          embed_dims=a['width'], num_layers=a['layers'], num_heads=a['width'] // 64,
                          output_dims=output_dims or a['embed_dim']))
    if a.get('eva02'):
        cfgs['ours_eva02'] = dict(type='umgclip_mm.EVA02CLIPViT', arch=a['eva02'], img_size=img_size,
                                  output_dims=output_dims or a['embed_dim'])
    return cfgs


def build_our_towers(args, device):
    from umgclip_mm.registry import MODELS
    torch.manual_seed(0)
    return {name: MODELS.build(cfg).to(device) for name, cfg in our_tower_cfgs(args.arch, args.img).items()}


def mlp_matmul(args, device, dtype):
    """Operands ``[M, K] @ [K, N]`` of the MLP's first GEMM (M: tokens in the batch, K: width, N: 4 x width) and an
    output buffer, in ``dtype``: the plain matmul the towers are measured against."""
    a = ARCHS[args.arch]
    m = args.batch * (1 + (args.img // a['patch_size'])**2)
    g = torch.Generator().manual_seed(0)
    lhs = torch.randn(m, a['width'], generator=g).to(device, DTYPES[dtype])
    rhs = torch.randn(a['width'], 4 * a['width'], generator=g).to(device, DTYPES[dtype])
    return lhs, rhs, torch.empty(m, 4 * a['width'], device=device, dtype=DTYPES[dtype])


def matmul_step(operands, reps):
    lhs, rhs, out = operands

    def step():
        for _ in range(reps):
            torch.mm(lhs, rhs, out=out)
    return step


def bench_roofline(args, device):
    """Achieved GFLOP/s of our towers against a plain matmul doing the same FLOPs, interleaved."""
    towers = build_our_towers(args, device)
    x = torch.randn(args.batch, 3, args.img, args.img, device=device)
    operands = mlp_matmul(args, device, args.dtype)
    shape = 'x'.join(map(str, (*operands[0].shape, operands[1].shape[1])))
    mm_flops = count_flops(matmul_step(operands, 1))
    dev = torch.cuda.get_device_name(device) if device.type == 'cuda' else f'CPU x{torch.get_num_threads()} threads'
    print(f'\nroofline, ViT {args.arch} at {args.img}px, batch {args.batch}, {args.dtype}, {dev}, {args.rounds} rounds '
          'interleaved; matmul: the MLP GEMM repeated to the OpenAI-style tower\'s FLOPs')
    print(f"{'mode':<17}{'model':<27}{'GFLOP':>9}{'s':>9}{'GFLOP/s':>9}   of matmul, per round: median [IQR]")
    results = {}
    for mode in ('forward', 'forward+backward'):
        backward = mode != 'forward'
        steps = {}
        for name, model in towers.items():
            model.train(backward)
            steps[name] = train_step(model, name, x, backward, args.dtype)
        flops = {name: count_flops(step) for name, step in steps.items()}
        reps = max(1, round(flops['ours'] / mm_flops))
        mm = f'matmul {shape} x{reps}'
        steps[mm] = matmul_step(operands, reps)
        flops[mm] = count_flops(steps[mm])
        times = interleave(steps, args.rounds, device)
        rate = {name: [flops[name] / t / 1e9 for t in ts] for name, ts in times.items()}
        results[mode] = {}
        for name, ts in times.items():
            rel = [r / m for r, m in zip(rate[name], rate[mm])]
            results[mode][name] = statistics.median(rel)
            print(f'{mode:<17}{name:<27}{flops[name] / 1e9:>9.4g}{statistics.median(ts):>9.3f}'
                  f'{flops[name] / statistics.median(ts) / 1e9:>9.1f}   {spread(rel) if name != mm else ""}')
    return results


def build_blocks(towers, rope):
    """The first transformer block of each tower: ``{name: (module, callable on tokens [B, N, C])}``."""
    ours = towers['ours'].transformer.layers[0]
    hf = towers['transformers'].vision_model.encoder.layers[0]
    oc = towers['open_clip'].transformer
    blocks = dict(ours=(ours, ours), transformers=(hf, lambda t: hf(t, None, None)[0]))
    blocks['open_clip'] = (oc.resblocks[0], oc.resblocks[0] if getattr(oc, 'batch_first', True) else
                           lambda t: oc.resblocks[0](t.transpose(0, 1)).transpose(0, 1))
    if 'ours_eva02' in towers:
        eva = towers['ours_eva02']
        blocks['ours_eva02'] = (eva.trunk.blocks[0], lambda t: eva.run_block(0, t, None, rope))
    return blocks


def bench_blocks(args, device):
    """One block of each tower on the same tokens, forward and forward+backward, interleaved."""
    towers = build_towers(args.arch, args.img, device)
    img = torch.randn(args.batch, 3, args.img, args.img, device=device)
    with torch.no_grad():
        x = towers['ours'].embed(img)[0]
        rope = towers['ours_eva02'].embed(img)[2] if 'ours_eva02' in towers else None
    blocks = build_blocks(towers, rope)
    with torch.no_grad(), autocast(device, args.dtype):
        ref = blocks['ours'][1](x)
        for name in ('transformers', 'open_clip'):
            print(f'block parity with {name}: max |diff| = {(blocks[name][1](x) - ref).abs().max():.2e}')
    dev = torch.cuda.get_device_name(device) if device.type == 'cuda' else f'CPU x{torch.get_num_threads()} threads'
    print(f'\none transformer block, ViT {args.arch} at {args.img}px ({x.shape[1]} tokens), batch {args.batch}, '
          f'{args.dtype}, {dev}, {args.rounds} rounds interleaved')
    print(f"{'mode':<17}{'block':<14}{'ms':>8}{'IQR ms':>16}   ours/it speed, per round: median [IQR]")
    results = {}
    for mode in ('forward', 'forward+backward'):
        backward = mode != 'forward'
        xin = x.detach().requires_grad_(backward)

        def step(module, block):
            def call():
                module.train(backward)
                module.zero_grad(set_to_none=True)
                xin.grad = None
                with torch.set_grad_enabled(backward):
                    with autocast(device, args.dtype):
                        out = block(xin)
                    if backward:
                        out.float().square().mean().backward()
            return call

        times = interleave({name: step(*mb) for name, mb in blocks.items()}, args.rounds, device)
        results[mode] = {}
        for name, ts in times.items():
            q = statistics.quantiles(ts, n=4, method='inclusive') if len(ts) > 1 else ts * 3
            rel = [t / o for t, o in zip(ts, times['ours'])]
            results[mode][name] = statistics.median(rel)
            print(f'{mode:<17}{name:<14}{statistics.median(ts) * 1e3:>8.1f}{q[0] * 1e3:>8.1f}-{q[2] * 1e3:<7.1f}   '
                  f'{spread(rel) if name != "ours" else ""}')
    return results


def bench_autocast(args, device):
    """bf16 autocast against fp32: our towers and a plain matmul, interleaved, with the embeddings' deviation."""
    towers = build_our_towers(args, device)
    x = torch.randn(args.batch, 3, args.img, args.img, device=device)
    with torch.no_grad():
        for name, model in towers.items():
            model.eval()
            ref, low = (F.normalize(run(model, name, x, False, dt).float(), dim=-1) for dt in DTYPES)
            print(f'{name}: bf16 autocast against fp32, max |diff| of L2-normalised embeddings = '
                  f'{(ref - low).abs().max():.2e}, min cosine = {(ref * low).sum(-1).min():.5f}')
    matmuls = {dt: mlp_matmul(args, device, dt) for dt in DTYPES}
    shape = 'x'.join(map(str, (*matmuls['fp32'][0].shape, matmuls['fp32'][1].shape[1])))
    dev = torch.cuda.get_device_name(device) if device.type == 'cuda' else f'CPU x{torch.get_num_threads()} threads'
    print(f'\nbf16 autocast against fp32, ViT {args.arch} at {args.img}px, batch {args.batch}, {dev}, '
          f'{args.rounds} rounds interleaved')
    print(f"{'mode':<17}{'model':<27}{'dtype':<6}{'images/s':>9}   bf16/fp32 speed, per round: median [IQR]")
    results = {}
    for mode in ('forward', 'forward+backward'):
        backward = mode != 'forward'
        steps = {}
        for name, model in towers.items():
            model.train(backward)
            for dt in DTYPES:
                steps[name, dt] = train_step(model, name, x, backward, dt)
        mm = f'matmul {shape} x10'
        for dt in DTYPES:
            steps[mm, dt] = matmul_step(matmuls[dt], 10)
        times = interleave(steps, args.rounds, device)
        results[mode] = {}
        for (name, dt), ts in times.items():
            rel = [f / t for f, t in zip(times[name, 'fp32'], ts)]
            if dt == 'bf16':
                results[mode][name] = statistics.median(rel)
            ips = f'{args.batch / statistics.median(ts):>9.2f}' if name in towers else f'{"":>9}'
            print(f'{mode:<17}{name:<27}{dt:<6}{ips}   {spread(rel) if dt != "fp32" else ""}')
    return results


def bench_onnx(args, device):
    """onnxruntime against PyTorch on the CPU: a random-weight UMG-CLIP of ``--arch`` exported by
    tools/deployment/export_onnx.py (image encoder: global and dense embeddings in one pass; text encoder), both
    run round by round on the same inputs; prints the largest difference and the per-round speed ratio."""
    import tempfile

    import importlib.util

    import onnxruntime as ort

    # tools/deployment/export_onnx.py's export and wrappers (the exported graphs themselves are what is timed)
    spec = importlib.util.spec_from_file_location(
        'export_onnx', osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'deployment', 'export_onnx.py'))
    export_onnx = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(export_onnx)

    from umgclip_mm.registry import MODELS
    if device.type != 'cpu':
        raise SystemExit('--what onnx compares onnxruntime and PyTorch on the CPU: run it with --device cpu')
    a = ARCHS[args.arch]
    torch.manual_seed(0)
    text = dict(type='umgclip_mm.UMGCLIPTextEncoder', embed_dims=a['text_width'], num_layers=a['text_layers'],
                num_heads=a['text_width'] // 64, output_dims=a['embed_dim'])
    clip = MODELS.build(dict(type='umgclip_mm.UMGCLIP', backbone=our_tower_cfgs(args.arch, args.img)['ours'],
                             text_encoder=text)).eval()
    with tempfile.TemporaryDirectory() as out:
        geometry = export_onnx.image_geometry(clip, [args.img])
        with contextlib.redirect_stdout(io.StringIO()):
            export_onnx.export(clip, out, geometry, export_onnx.MAX_OPSET)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if args.threads:
            options.intra_op_num_threads = args.threads
        sessions = {name: ort.InferenceSession(osp.join(out, f'{name}_encoder.onnx'), options,
                                               providers=['CPUExecutionProvider']) for name in ('image', 'text')}
        pixels = torch.randn(args.batch, 3, args.img, args.img)
        tokens = clip.text_encoder.tokenizer([f'a photo of a thing number {i}' for i in range(args.batch * 8)])
        modules = dict(image=export_onnx.ImageEncoder(clip).eval(), text=export_onnx.TextEncoder(clip).eval())
        inputs = dict(image=(pixels, export_onnx.IMAGE_INPUT), text=(tokens, export_onnx.TEXT_INPUT))
        print(f'onnxruntime {ort.__version__} against PyTorch {torch.__version__}, CPU, {torch.get_num_threads()} '
              f'threads; {args.arch}, {args.batch} images at {args.img} px, {len(tokens)} texts; '
              f'{args.rounds} rounds after a warm-up')
        print(f'{"encoder":8} {"torch ms":>9} {"ort ms":>9}   ort/torch speed, per round: median [IQR]   max |diff|')
        for name in ('image', 'text'):
            x, key = inputs[name]
            times = dict(torch=[], ort=[])
            with torch.no_grad():
                want = modules[name](x)
                got = sessions[name].run(None, {key: x.numpy()})
                want = want if isinstance(want, tuple) else (want, )
                diff = max((torch.from_numpy(g) - w).abs().max().item() for g, w in zip(got, want))
                for rnd in range(args.rounds + 1):
                    t0 = time.perf_counter()
                    modules[name](x)
                    t1 = time.perf_counter()
                    sessions[name].run(None, {key: x.numpy()})
                    t2 = time.perf_counter()
                    if rnd:
                        times['torch'].append(t1 - t0)
                        times['ort'].append(t2 - t1)
            ratios = [t / o for t, o in zip(times['torch'], times['ort'])]
            print(f'{name:8} {1e3 * statistics.median(times["torch"]):9.1f} {1e3 * statistics.median(times["ort"]):9.1f}'
                  f'   {spread(ratios):<40} {diff:.1e}')


# The vocabularies of the open-vocabulary benchmarks (OV_BENCHMARKS: the five semantic ones) and LVIS's 1203.
VOCABULARIES = (('ADE-150', dict(class_list='ade20k_150')), ('ADE-847', dict(class_list='ade20k_847')),
                ('PC-59', dict(class_list='pascal_context_59')), ('PC-459', dict(class_list='pascal_context_459')),
                ('VOC-20', dict(class_list='pascal_voc_20')), ('LVIS-1203', dict(dataset='mmdet.LVISV1Dataset')))


def reference_encode(clip, vocab, templates, batch_size=256):
    """Today's VocabularyEncoder.encode (before length-sorted batches), kept as the reference: every prompt of every
    class and synonym, duplicates included, in class order, 256 a batch through ``clip.encode_text`` (padded to the
    context length), under ``no_grad`` and no autocast; the normalised sum per class."""
    prompts, owner = [], []
    for c, syns in enumerate(vocab.synonyms):
        for name in syns:
            prompts += [t.format(name) for t in templates]
            owner += [c] * len(templates)
    device = next(iter(clip.text_encoder.state_dict().values())).device
    with torch.no_grad(), torch.autocast(device_type=device.type, enabled=False):
        embeds = torch.cat([clip.encode_text(prompts[i:i + batch_size])
                            for i in range(0, len(prompts), batch_size)]).float()
    sums = embeds.new_zeros(len(vocab), embeds.shape[1])
    sums.index_add_(0, torch.tensor(owner, device=embeds.device), embeds)
    return F.normalize(sums, dim=-1)


def sample_vocabulary(vocab, count):
    """``count`` classes of ``vocab`` spread evenly over it (every k-th), with their synonyms."""
    from umgclip_mm.vocabulary import Vocabulary
    step = max(1, len(vocab) // max(1, count))
    picked = vocab.synonyms[::step][:count]
    return Vocabulary(picked, len(picked))


def bench_vocabulary(args, device):
    """Encoding class embeddings: the new VocabularyEncoder (fp32, bf16 autocast) against today's path on a sample of
    ADE-847, interleaved; then each benchmark vocabulary's time, estimated from a sample (or whole with --full)."""
    import logging

    from mmengine.logging import MMLogger

    from umgclip_mm.models.open_vocab import VocabularyEncoder
    from umgclip_mm.registry import MODELS
    from umgclip_mm.vocabulary import build_vocabulary
    from umgclip_mm.vocabulary.imagenet_templates import openai_imagenet_templates
    a = ARCHS[args.arch]
    torch.manual_seed(0)
    text = dict(type='umgclip_mm.UMGCLIPTextEncoder', embed_dims=a['text_width'], num_layers=a['text_layers'],
                num_heads=a['text_width'] // 64, output_dims=a['embed_dim'])
    tiny_tower = our_tower_cfgs('tiny', 32, a['embed_dim'])['ours']
    clip = MODELS.build(dict(type='umgclip_mm.UMGCLIP', backbone=tiny_tower,
                             text_encoder=text)).to(device).eval()  # a tiny image tower: only the text one works
    templates = openai_imagenet_templates()[:args.num_templates]
    encoders = {p: VocabularyEncoder(templates, cache_dir=None, precision=p) for p in ('fp32', 'bf16')}
    MMLogger.get_current_instance().setLevel(logging.WARNING)  # no encoder progress lines between the tables'
    tokenizer = clip.text_encoder.tokenizer
    ade847 = build_vocabulary(VOCABULARIES[1][1])
    sub = sample_vocabulary(ade847, args.classes)
    n_prompts = sum(len(s) for s in sub.synonyms) * len(templates)
    distinct = encoders['fp32'].prompts(sub)[0]
    tokens = sum(len(tokenizer.encode(p)) for p in distinct) / len(distinct)
    dev = torch.cuda.get_device_name(device) if device.type == 'cuda' else f'CPU x{torch.get_num_threads()} threads'
    print(f'vocabulary encoding: random-weight {args.arch} text tower ({a["text_width"]} wide, {a["text_layers"]} '
          f'layers, context 77), {len(templates)} templates, {dev}, {args.rounds} round(s) interleaved after a '
          f'warm-up')
    print(f'ADE-847 sample: {len(sub)} of {len(ade847)} classes (every {len(ade847) // len(sub)}th), '
          f'{sum(len(s) for s in sub.synonyms)} names, {n_prompts} prompts ({len(distinct)} distinct), '
          f'{tokens:.1f} tokens each on average (77 padded)')
    steps = {'today': lambda: reference_encode(clip, sub, templates),
             'new fp32': lambda: encoders['fp32'].encode(clip, sub),
             'new bf16': lambda: encoders['bf16'].encode(clip, sub)}
    warm = sample_vocabulary(sub, 1)  # a small warm-up: today's path costs minutes at full size
    reference_encode(clip, warm, templates[:4])
    for p, enc in encoders.items():
        VocabularyEncoder(templates[:4], cache_dir=None, precision=p).encode(clip, warm)
    times, outputs = {name: [] for name in steps}, {}
    for _ in range(args.rounds):
        for name, step in steps.items():
            t0 = time.perf_counter()
            outputs[name] = step()
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
            times[name].append(time.perf_counter() - t0)
    one = sample_vocabulary(sub, 1)
    prompts = encoders['fp32'].prompts(one)[0]
    prompt_embeds = {p: enc._encode_prompts(clip, prompts, one, None) for p, enc in encoders.items()}
    print(f'parity: new fp32 against today, max |diff| of class embeddings = '
          f'{(outputs["new fp32"] - outputs["today"]).abs().max():.1e}; bf16 autocast against fp32, min cosine: '
          f'class embeddings {(outputs["new bf16"] * outputs["new fp32"]).sum(-1).min():.6f}, prompt embeddings '
          f'{(prompt_embeds["bf16"] * prompt_embeds["fp32"]).sum(-1).min():.6f} ({len(prompts)} prompts of '
          f'{one.names[0]!r})')
    print(f"{'path':<10}{'s':>9}{'texts/s':>10}   speed against today, per round: median [IQR]")
    results = {}
    for name, ts in times.items():
        rel = [t / o for t, o in zip(times['today'], ts)]
        results[name] = statistics.median(rel)
        print(f'{name:<10}{statistics.median(ts):>9.2f}{n_prompts / statistics.median(ts):>10.1f}   '
              f'{spread(rel) if name != "today" else ""}')

    def batch_tokens(vocab):
        """Tokens the new path runs for ``vocab`` (each batch padded to its longest prompt) and its distinct
        prompts."""
        distinct = encoders['fp32'].prompts(vocab)[0]
        lengths = sorted((len(tokenizer.encode(p)) for p in distinct), reverse=True)
        bs = encoders['fp32'].batch_size
        return sum(lengths[i] * len(lengths[i:i + bs]) for i in range(0, len(lengths), bs)), distinct, lengths

    # today's path costs the same per prompt (all padded to 77); the new one the same per token it runs
    per_prompt_today = statistics.median(times['today']) / n_prompts
    per_token = {p: statistics.median(times[f'new {p}']) / batch_tokens(sub)[0] for p in encoders}
    how = ('encoded whole' if args.full else "estimated: today's s/prompt x prompts, the new path's s/token x the "
           'tokens of its batches, both from the ADE-847 sample above')
    print(f'\nthe benchmark vocabularies with the {len(templates)} templates ({how})')
    print(f"{'vocabulary':<11}{'classes':>8}{'names':>7}{'prompts':>9}{'distinct':>9}{'tokens':>7}"
          f"{'today s':>10}{'fp32 s':>9}{'bf16 s':>9}{'fp32 speed-up':>15}")
    results['vocabularies'] = {}
    for label, spec in VOCABULARIES:
        vocab = build_vocabulary(spec)
        names = sum(len(s) for s in vocab.synonyms)
        run_tokens, distinct, lengths = batch_tokens(vocab)
        if args.full:
            est = {}
            for p, enc in encoders.items():
                t0 = time.perf_counter()
                enc.encode(clip, vocab)
                est[p] = time.perf_counter() - t0
        else:
            est = {p: per_token[p] * run_tokens for p in encoders}
        today = per_prompt_today * names * len(templates)
        results['vocabularies'][label] = dict(today=today, **est)
        print(f'{label:<11}{len(vocab):>8}{names:>7}{names * len(templates):>9}{len(distinct):>9}'
              f'{sum(lengths) / len(lengths):>7.1f}{today:>10.0f}{est["fp32"]:>9.0f}{est["bf16"]:>9.0f}'
              f'{today / est["fp32"]:>14.1f}x')
    return results


def bench_umg_index(args):
    """Bytes per image of UMGDataset's index over a shard of ``args.lines`` realistic records."""
    import json
    import tempfile
    from umgclip_mm.datasets import UMGDataset
    rec = dict(image='cc3m/00012/000123456.jpg', height=480, width=640, captions=['a dog catching a frisbee'],
               tags=['dog', 'frisbee'], regions=[dict(bbox=[1.0, 2.0, 30.0, 40.0], captions=['a dog'], tags=['dog'])])
    line = (json.dumps(rec) + '\n').encode()
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'shard.jsonl')
        with open(path, 'wb') as f:
            for _ in range(args.lines // 10000):
                f.write(line * 10000)
            f.write(line * (args.lines % 10000))
        exact_cpu_rss_accounting()
        LIBC.malloc_trim(0)
        before = PeakMemory.rss()
        t0 = time.perf_counter()
        ds = UMGDataset(path)
        dt = time.perf_counter() - t0
        LIBC.malloc_trim(0)
        after = PeakMemory.rss()
        index_bytes = ds.offsets.nbytes + ds.shard_starts.nbytes
        print(f'UMGDataset index over {len(ds):,} records ({osp.getsize(path) / 2**20:.0f} MiB shard): '
              f'{index_bytes / len(ds):.1f} bytes/image in its arrays, {(after - before) / len(ds):.1f} bytes/image '
              f'of resident memory added; indexed in {dt:.2f}s ({len(ds) / dt / 1e6:.1f}M lines/s)')
        return index_bytes / len(ds)


def bench_token_reduction(args, device):
    """Training-step time of our image tower with and without 75% token reduction."""
    from umgclip_mm.registry import MODELS
    base = our_tower_cfgs(args.arch, args.img)['ours']
    variants = {'none': None, 'cluster 75%': dict(type='cluster', keep_ratio=0.25),
                'random 75%': dict(type='random', keep_ratio=0.25)}
    torch.manual_seed(0)
    towers = {}
    for name, reduction in variants.items():
        towers[name] = MODELS.build(dict(base, token_reduction=reduction)).to(device).train()
        if name != 'none':
            towers[name].load_state_dict(towers['none'].state_dict())
    x = torch.randn(args.batch, 3, args.img, args.img, device=device)
    times = {n: [] for n in towers}
    for rnd in range(args.rounds + 1):
        for name, model in towers.items():
            model.zero_grad(set_to_none=True)
            t0 = time.perf_counter()
            with autocast(device, args.dtype):
                out = model.forward_features(x)
            (out['global_embeds'].float().square().mean() + out['dense_proj'].float().square().mean()).backward()
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
            if rnd:
                times[name].append(time.perf_counter() - t0)
    ref = statistics.median(times['none'])
    print(f'\ntoken reduction, ViT {args.arch} at {args.img}px, batch {args.batch}, forward+backward (global and '
          f'dense outputs), median of {args.rounds} rounds' + (', bf16 autocast' if args.dtype == 'bf16' else ''))
    for name, t in times.items():
        med = statistics.median(t)
        print(f'{name:<14}{med:8.3f} s/step   speed-up {ref / med:.2f}x')
    return {n: ref / statistics.median(t) for n, t in times.items()}


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if args.what == 'umg-index':
        return bench_umg_index(args)
    if args.what == 'token-reduction':
        return bench_token_reduction(args, device)
    if args.what == 'roofline':
        return bench_roofline(args, device)
    if args.what == 'blocks':
        return bench_blocks(args, device)
    if args.what == 'autocast':
        return bench_autocast(args, device)
    if args.what == 'onnx':
        return bench_onnx(args, device)
    if args.what == 'vocabulary':
        return bench_vocabulary(args, device)
    if args.what == 'semseg':  # tools/analysis/benchmark_semseg.py, beside this file, run as a tool
        import subprocess
        size = 'toy' if args.arch == 'tiny' else 'full'
        cmd = [sys.executable, osp.join(osp.dirname(osp.abspath(__file__)), 'benchmark_semseg.py'), '--size', size,
               '--img', str(args.img), '--rounds', str(args.rounds), '--device', args.device]
        sys.stdout.flush()
        return subprocess.run(cmd + (['--threads', str(args.threads)] if args.threads else []), check=True)
    towers = build_towers(args.arch, args.img, device)
    x = torch.randn(args.batch, 3, args.img, args.img, device=device)
    with torch.no_grad():
        for mine, name in PAIRS:
            if name not in towers:
                continue
            ref = run(towers[mine], mine, x, False, args.dtype).float()
            out = run(towers[name], name, x, False, args.dtype).float()
            raw = (out - ref).abs().max()
            normed = (F.normalize(out, dim=-1) - F.normalize(ref, dim=-1)).abs().max()
            print(f'parity with {name}: max |diff| of embeddings = {raw:.2e} raw, {normed:.2e} L2-normalised')
    results = {}
    for mode in ('forward', 'forward+backward'):
        backward = mode != 'forward'
        times = {n: [] for n in towers}
        for m in towers.values():
            m.train(backward)
        for rnd in range(args.rounds + 1):  # round 0 warms up
            for name, model in towers.items():
                model.zero_grad(set_to_none=True)
                with torch.set_grad_enabled(backward):
                    t0 = time.perf_counter()
                    run(model, name, x, backward, args.dtype)
                    if device.type == 'cuda':
                        torch.cuda.synchronize(device)
                    dt = time.perf_counter() - t0
                if rnd:
                    times[name].append(dt)
        results[mode] = {n: [args.batch / statistics.median(t), 0] for n, t in times.items()}
    if device.type == 'cpu':
        exact_cpu_rss_accounting()
    for mode, rows in results.items():
        backward = mode != 'forward'
        for name, model in towers.items():
            model.train(backward)
            model.zero_grad(set_to_none=True)
            with torch.set_grad_enabled(backward), PeakMemory(device) as mem:
                run(model, name, x, backward, args.dtype)
            rows[name][1] = mem.peak

    dev = torch.cuda.get_device_name(device) if device.type == 'cuda' else f'CPU x{torch.get_num_threads()} threads'
    precision = 'fp32' if args.dtype == 'fp32' else f'{args.dtype} autocast'
    print(f'\nViT {args.arch}, {args.img}px, batch {args.batch}, {precision}, {dev}, median of {args.rounds} rounds')
    print(f"{'mode':<17}{'model':<14}{'images/s':>10}{'peak MiB':>10}{'ours/it speed':>15}{'ours/it mem':>13}")
    mine_of = {ref: mine for mine, ref in PAIRS}
    for mode, rows in results.items():
        for name, (ips, mem) in rows.items():
            speed = memr = ''
            if name in mine_of:
                ours_ips, ours_mem = rows[mine_of[name]]
                speed = f'{ours_ips / ips:.2f}x'
                memr = f'{ours_mem / mem:.2f}x' if min(mem, ours_mem) > 2**20 else ''
            print(f'{mode:<17}{name:<14}{ips:>10.1f}{mem / 2**20:>10.0f}{speed:>15}{memr:>13}')
        if 'ours_eva02' in rows:
            print(f"{mode:<17}EVA02 tower / OpenAI-style tower (ours): speed "
                  f"{rows['ours_eva02'][0] / rows['ours'][0]:.2f}x")
    return results


if __name__ == '__main__':
    main()
