#!/usr/bin/env python
r"""Export the image and text towers of a UMG-CLIP to ONNX, with a JSON that says how to feed them.

Writes into --out:
    image_encoder.onnx  input `pixels` [batch, 3, height, width] float32, RGB, normalised with CLIP's mean/std (the
                        model's data_preprocessor: (x - mean) / std on 0-255 values); outputs, from one pass of the
                        tower: `image_embeds` [batch, D] (what UMGCLIP.encode_image returns) and `dense_embeds`
                        [batch, D, height / patch, width / patch] (what UMGCLIP.encode_dense returns), both
                        L2-normalised. Batch, height and width are dynamic (height and width multiples of the patch
                        size): the position embedding is resized bicubically inside the graph (an ONNX Resize), and
                        EVA02's rotary embedding is computed for the input grid. --img H [W] fixes the image size
                        instead (batch stays dynamic; at the tower's trained size the graph then holds no resize).
    text_encoder.onnx   input `token_ids` [num_texts, context_length] int64 (umgclip_mm.CLIPTokenizer's output:
                        <start_of_text> BPE <end_of_text>, zero-padded); output `text_embeds` [num_texts, D],
                        L2-normalised (UMGCLIP.encode_text). num_texts is dynamic.
    export.json         input and output names and shapes, mean/std, patch size, context length, logit scale,
                        opset, versions, and the config and checkpoint the export came from.

CONFIG is any config whose `model` is a UMGCLIP or holds one as `model.clip` (the task models). CHECKPOINT is loaded
weights-only, strictly: a checkpoint of the config's model, or, for a task config, of the UMG-CLIP alone (a
pretraining run or tools/model_converters/clip2umgclip.py output). The classic TorchScript-based exporter of
torch.onnx is used (dynamo=False): it needs no onnxscript and keeps the image size dynamic.
--verify runs both files in onnxruntime on random images at two batch sizes (and, when dynamic, three image sizes:
the trained one, a larger non-square one, a smaller one) and on tokenized sentences, and prints the max |diff| of
each output against the PyTorch model; it fails when one exceeds --tol.

Examples:
    python tools/deployment/export_onnx.py configs/quickstart/pretrain_synthetic.py \
        work_dirs/quickstart/iter_600.pth --out work_dirs/onnx/toy --verify
    python tools/deployment/export_onnx.py work_dirs/vitb16_openai.py checkpoints/clip_vit-b16_openai.pth \
        --out work_dirs/onnx/vitb16 --verify
    python tools/deployment/export_onnx.py configs/quickstart/panoptic_synthetic.py \
        work_dirs/quickstart_panoptic/iter_1000.pth --out work_dirs/onnx/panoptic_towers --img 64
"""
import argparse
import contextlib
import json
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


# Resize with antialiasing (EVA02's position embedding resampling, timm's bicubic with antialias=True) needs opset 18;
# 20 is the last opset of torch's TorchScript-based exporter.
MIN_OPSET, MAX_OPSET = 18, 20
IMAGE_INPUT, IMAGE_OUTPUTS = 'pixels', ('image_embeds', 'dense_embeds')
TEXT_INPUT, TEXT_OUTPUT = 'token_ids', 'text_embeds'
TEXTS = ('a photo of a cat', 'a red star on blue water', '', 'a diagram of ' + 'many ' * 100 + 'words')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config whose model is a UMGCLIP or holds one as model.clip')
    parser.add_argument('checkpoint', help='checkpoint (loaded weights-only) of that model or of its UMG-CLIP')
    parser.add_argument('--out', required=True, help='output folder (created if missing)')
    parser.add_argument('--img', type=int, nargs='+', metavar='SIZE',
                        help='fix the image size: H [W] in pixels, multiples of the patch size (default: dynamic)')
    parser.add_argument('--opset', type=int, default=MIN_OPSET,
                        help=f'ONNX opset, {MIN_OPSET} to {MAX_OPSET} (default {MIN_OPSET})')
    parser.add_argument('--verify', action='store_true',
                        help='compare onnxruntime with PyTorch and print the max |diff| of every output')
    parser.add_argument('--tol', type=float, default=1e-4, help='largest max |diff| --verify accepts (default 1e-4)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config entries (key=value)')
    args = parser.parse_args(argv)
    if not MIN_OPSET <= args.opset <= MAX_OPSET:
        parser.error(f'--opset must be between {MIN_OPSET} and {MAX_OPSET}, got {args.opset}')
    if args.img is not None and len(args.img) > 2:
        parser.error(f'--img takes H or H W, got {len(args.img)} values')
    return args


# ----------------------------------------------------------------------------------------------------------------
# Symbolic functions for the TorchScript-based exporter (registered for one export, then removed)
# ----------------------------------------------------------------------------------------------------------------
def _constant(value) -> Optional[object]:
    """The Python value of a constant graph input (int, float or bool), or None when it is not a constant."""
    node = value.node()
    if node.kind() != 'onnx::Constant':
        return None
    return node.t('value').item() if node.kindOf('value') == 't' else node.i('value')


def _int64s(g, values: Sequence[int]):
    return g.op('Constant', value_t=torch.tensor(list(values), dtype=torch.int64))


def _bicubic_antialias(g, x, output_size, align_corners, *scales):
    """``aten::_upsample_bicubic2d_aa`` (``F.interpolate(mode='bicubic', antialias=True)``, which timm resamples
    position embeddings with): ONNX Resize with antialias, PIL's cubic kernel (a = -0.5) and taps outside the input
    left out and the rest renormalised, which is what PyTorch computes. torch's exporter has no symbolic for it."""
    if output_size is None or output_size.node().mustBeNone():
        raise RuntimeError('bicubic antialiased resize by scale factor: only an explicit size exports')
    corners = bool(_constant(align_corners))
    shape = g.op('Shape', x)
    sizes = g.op('Concat', g.op('Slice', shape, _int64s(g, [0]), _int64s(g, [2])),
                 g.op('Cast', output_size, to_i=7), axis_i=0)  # 7: INT64
    empty = g.op('Constant', value_t=torch.tensor([], dtype=torch.float32))
    return g.op('Resize', x, empty, empty, sizes, mode_s='cubic', cubic_coeff_a_f=-0.5, antialias_i=1,
                exclude_outside_i=1, coordinate_transformation_mode_s='align_corners' if corners else 'half_pixel')


def _repeat_interleave(g, x, repeats, dim=None, output_size=None):
    """``aten::repeat_interleave`` with an int ``repeats`` along ``dim`` (timm's rotary embedding layout) as
    Unsqueeze, Tile and Reshape. Replaces torch's own symbolic, which rewrites a shared ``-1`` constant of the
    graph into ``1`` (so an unrelated ``x.view(B, -1, C)`` of timm's Eva became ``view(B, 1, C)``)."""
    r = _constant(repeats)
    d = None if dim is None or dim.node().mustBeNone() else _constant(dim)
    rank = x.type().dim()
    if r is None or d is None or rank is None:
        raise RuntimeError('repeat_interleave: only an int number of repeats along a given dim exports here')
    d %= rank
    shape = g.op('Shape', x)
    tiled = g.op('Tile', g.op('Unsqueeze', x, _int64s(g, [d + 1])),
                 _int64s(g, [1] * (d + 1) + [int(r)] + [1] * (rank - d - 1)))
    new_shape = g.op('Concat', g.op('Slice', shape, _int64s(g, [0]), _int64s(g, [d])),
                     g.op('Mul', g.op('Slice', shape, _int64s(g, [d]), _int64s(g, [d + 1])), _int64s(g, [int(r)])),
                     g.op('Slice', shape, _int64s(g, [d + 1]), _int64s(g, [rank])), axis_i=0)
    return g.op('Reshape', tiled, new_shape)


SYMBOLICS = {'aten::_upsample_bicubic2d_aa': _bicubic_antialias, 'aten::repeat_interleave': _repeat_interleave}


@contextlib.contextmanager
def export_symbolics(opset: int):
    """Register :data:`SYMBOLICS` for ``opset`` while the block runs."""
    for name, fn in SYMBOLICS.items():
        torch.onnx.register_custom_op_symbolic(name, fn, opset)
    try:
        yield
    finally:
        for name in SYMBOLICS:
            torch.onnx.unregister_custom_op_symbolic(name, opset)


# ----------------------------------------------------------------------------------------------------------------
# The exported modules
# ----------------------------------------------------------------------------------------------------------------
class ImageEncoder(nn.Module):
    """Pixels -> (L2-normalised global embedding ``[B, D]``, L2-normalised dense embeddings ``[B, D, h, w]``), from
    one :meth:`UMGCLIP.forward_features` pass (``encode_image`` and ``encode_dense`` in one)."""

    def __init__(self, clip: nn.Module):
        super().__init__()
        self.clip = clip

    def forward(self, pixels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        feats = self.clip.forward_features(pixels, with_dense=True)
        return F.normalize(feats['global_embeds'], dim=-1), F.normalize(feats['dense_proj'], dim=1)


class TextEncoder(nn.Module):
    """Token ids ``[N, L]`` -> L2-normalised text embeddings ``[N, D]`` (``encode_text`` after tokenization)."""

    def __init__(self, clip: nn.Module):
        super().__init__()
        self.clip = clip

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.clip.text_encoder(token_ids), dim=-1)


# ----------------------------------------------------------------------------------------------------------------
def load_clip(config: str, checkpoint: str, cfg_options: Optional[dict] = None):
    """Build the config's model, load the checkpoint, and return its UMGCLIP in eval mode.

    A task model's checkpoint loads into the task model; a UMG-CLIP checkpoint given with a task config loads into
    its ``model.clip``.
    """
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from umgclip_mm.apis import load_model_weights
    from umgclip_mm.models import UMGCLIP
    from umgclip_mm.registry import MODELS
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist: give the .pth file of a training run '
                                '(work_dirs/...) or of tools/model_converters/clip2umgclip.py')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'umgclip_mm'))
    model = MODELS.build(cfg.model)  # no init_weights: every weight comes from the checkpoint
    clip = model if isinstance(model, UMGCLIP) else getattr(model, 'clip', None)
    if not isinstance(clip, UMGCLIP):
        raise TypeError(f'{config}: the model ({type(model).__name__}) is not a UMGCLIP and holds none as '
                        'model.clip; export_onnx.py exports UMG-CLIP towers')
    try:
        load_model_weights(model, checkpoint)
    except KeyError as task_err:
        if clip is model:
            raise
        try:
            load_model_weights(clip, checkpoint)
        except KeyError as clip_err:
            raise KeyError(f'{checkpoint} matches neither the {type(model).__name__} of {config} nor its '
                           f'model.clip.\nAs the task model: {task_err}\nAs the UMG-CLIP: {clip_err}') from None
    return clip.eval()


def image_geometry(clip: nn.Module, img: Optional[Sequence[int]]) -> Dict[str, object]:
    """Patch size, trained grid, and the (H, W) to trace the image encoder at."""
    from umgclip_mm.models.backbones.base_image_tower import BaseImageTower
    tower = clip.backbone
    if not isinstance(tower, BaseImageTower) or not hasattr(tower, 'grid_size'):
        raise TypeError(f'the image tower {type(tower).__name__} is not a BaseImageTower with a trained grid_size '
                        '(UMGCLIPViT, EVA02CLIPViT): export_onnx.py does not know how to export it')
    p = tower.patch_size
    trained = tuple(int(s) for s in tower.grid_size)
    if img is not None:
        size = (img[0], img[-1])
        if size[0] % p or size[1] % p or min(size) <= 0:
            raise ValueError(f'--img {size[0]} {size[1]}: the image size must be a positive multiple of the patch '
                             f'size {p}')
        trace = size
    else:
        # Traced at a grid other than the trained one, so that the position embedding's resize (skipped by a Python
        # branch at the trained grid) is in the graph, which then serves every size; at the trained size that resize
        # is an identity.
        trace = ((trained[0] + 2) * p, (trained[1] + 1) * p)
    return dict(patch_size=p, trained_size=(trained[0] * p, trained[1] * p), trace_size=trace,
                dynamic=img is None)


def export(clip: nn.Module, out: str, geometry: dict, opset: int) -> None:
    """Write ``image_encoder.onnx`` and ``text_encoder.onnx`` into ``out`` and check them with onnx's checker."""
    import onnx
    os.makedirs(out, exist_ok=True)
    h, w = geometry['trace_size']
    pixels = torch.randn(2, 3, h, w)
    tokens = clip.text_encoder.tokenizer(list(TEXTS[:2]))
    image_axes = {IMAGE_INPUT: {0: 'batch'}, IMAGE_OUTPUTS[0]: {0: 'batch'}, IMAGE_OUTPUTS[1]: {0: 'batch'}}
    if geometry['dynamic']:
        image_axes[IMAGE_INPUT].update({2: 'height', 3: 'width'})
        image_axes[IMAGE_OUTPUTS[1]].update({2: 'grid_height', 3: 'grid_width'})
    # In eval mode: the exporter puts a module back in the mode it found it in, and a UMGCLIP in train mode would
    # run token reduction.
    jobs = ((ImageEncoder(clip).eval(), pixels, 'image_encoder.onnx', [IMAGE_INPUT], list(IMAGE_OUTPUTS),
             image_axes),
            (TextEncoder(clip).eval(), tokens, 'text_encoder.onnx', [TEXT_INPUT], [TEXT_OUTPUT],
             {TEXT_INPUT: {0: 'num_texts'}, TEXT_OUTPUT: {0: 'num_texts'}}))
    with export_symbolics(opset), torch.no_grad(), warnings.catch_warnings():
        # The tracer warns about every Python-side shape check it freezes (asserts, the trained-grid branch) and the
        # exporter about being the TorchScript one; neither concerns the graph (--verify checks it).
        warnings.simplefilter('ignore')
        for module, example, name, inputs, outputs, axes in jobs:
            path = osp.join(out, name)
            torch.onnx.export(module, (example, ), path, dynamo=False, opset_version=opset, input_names=inputs,
                              output_names=outputs, dynamic_axes=axes)
            onnx.checker.check_model(path)
            print(f'wrote {path}')


def verify(clip: nn.Module, out: str, geometry: dict, seed: int = 0) -> Dict[str, float]:
    """Run both ONNX files in onnxruntime and return the max |diff| of each output against the PyTorch model."""
    import onnxruntime as ort
    clip.eval()
    p = geometry['patch_size']
    if geometry['dynamic']:
        th, tw = geometry['trained_size']
        cases = [(1, th, tw), (2, th + 2 * p, tw + p), (2, max(p, th - p), tw)]
    else:
        cases = [(1, *geometry['trace_size']), (2, *geometry['trace_size'])]
    options = ort.SessionOptions()
    options.log_severity_level = 3
    sessions = {name: ort.InferenceSession(osp.join(out, name), options, providers=['CPUExecutionProvider'])
                for name in ('image_encoder.onnx', 'text_encoder.onnx')}
    gen = torch.Generator().manual_seed(seed)
    worst = {name: 0.0 for name in (*IMAGE_OUTPUTS, TEXT_OUTPUT)}
    for b, h, w in cases:
        pixels = torch.randn(b, 3, h, w, generator=gen)
        got = sessions['image_encoder.onnx'].run(list(IMAGE_OUTPUTS), {IMAGE_INPUT: pixels.numpy()})
        with torch.no_grad():
            want = (clip.encode_image(pixels), clip.encode_dense(pixels))
        for name, g, t in zip(IMAGE_OUTPUTS, got, want):
            if tuple(g.shape) != tuple(t.shape):
                raise AssertionError(f'{name} at batch {b}, {h}x{w}: onnxruntime gives {tuple(g.shape)}, PyTorch '
                                     f'{tuple(t.shape)}')
            diff = (torch.from_numpy(g) - t).abs().max().item()
            worst[name] = max(worst[name], diff)
            print(f'{name:<13} batch {b}, {h}x{w}: shape {tuple(g.shape)}, max |diff| {diff:.2e}')
    for n in (1, len(TEXTS)):
        texts = list(TEXTS[:n])
        got = sessions['text_encoder.onnx'].run([TEXT_OUTPUT], {TEXT_INPUT: clip.text_encoder.tokenizer(texts).numpy()})
        with torch.no_grad():
            want = clip.encode_text(texts)
        diff = (torch.from_numpy(got[0]) - want).abs().max().item()
        worst[TEXT_OUTPUT] = max(worst[TEXT_OUTPUT], diff)
        print(f'{TEXT_OUTPUT:<13} {n} texts: shape {tuple(got[0].shape)}, max |diff| {diff:.2e}')
    return worst


def write_metadata(clip: nn.Module, args: argparse.Namespace, geometry: dict,
                   verified: Optional[Dict[str, float]]) -> str:
    """Write ``export.json`` beside the ONNX files and return its path."""
    import onnx
    import onnxruntime
    pre = clip.data_preprocessor
    dims = clip.embed_dims
    context = clip.text_encoder.context_length
    image_shape = ['batch', 3, 'height', 'width'] if geometry['dynamic'] else ['batch', 3, *geometry['trace_size']]
    dense_shape = ['batch', dims, 'grid_height', 'grid_width'] if geometry['dynamic'] else \
        ['batch', dims, *(s // geometry['patch_size'] for s in geometry['trace_size'])]
    meta = dict(
        image_encoder=dict(
            file='image_encoder.onnx',
            inputs=[dict(name=IMAGE_INPUT, shape=image_shape, dtype='float32')],
            outputs=[dict(name=IMAGE_OUTPUTS[0], shape=['batch', dims], dtype='float32', l2_normalised=True),
                     dict(name=IMAGE_OUTPUTS[1], shape=dense_shape, dtype='float32', l2_normalised=True)],
            dynamic_image_size=geometry['dynamic'],
            image_size=list(geometry['trained_size'] if geometry['dynamic'] else geometry['trace_size']),
            trained_image_size=list(geometry['trained_size']),
            patch_size=geometry['patch_size'],
            channel_order='RGB',
            mean=[round(float(v), 8) for v in pre.mean.flatten()],
            std=[round(float(v), 8) for v in pre.std.flatten()],
            normalisation='(pixel - mean) / std, pixel values in 0-255',
            tower=type(clip.backbone).__name__),
        text_encoder=dict(
            file='text_encoder.onnx',
            inputs=[dict(name=TEXT_INPUT, shape=['num_texts', context], dtype='int64')],
            outputs=[dict(name=TEXT_OUTPUT, shape=['num_texts', dims], dtype='float32', l2_normalised=True)],
            context_length=context,
            tokenizer='umgclip_mm.CLIPTokenizer: <start_of_text> BPE <end_of_text>, zero-padded, truncated with '
                      '<end_of_text> kept last',
            start_token=clip.text_encoder.tokenizer.sot_token,
            end_token=clip.text_encoder.tokenizer.eot_token),
        embed_dims=dims,
        logit_scale=float(clip.get_logit_scale().detach()),
        opset=args.opset,
        config=osp.abspath(args.config),
        checkpoint=osp.abspath(args.checkpoint),
        cfg_options=args.cfg_options or None,
        versions=dict(torch=torch.__version__, onnx=onnx.__version__, onnxruntime=onnxruntime.__version__),
        verify=None if verified is None else dict(tol=args.tol, max_abs_diff=verified),
    )
    path = osp.join(args.out, 'export.json')
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(meta, f, indent=2)
    return path


def main(argv: Optional[List[str]] = None) -> Dict[str, float]:
    args = parse_args(argv)
    import umgclip_mm  # noqa: F401  (registers the checkpoint allow-list)
    clip = load_clip(args.config, args.checkpoint, args.cfg_options)
    geometry = image_geometry(clip, args.img)
    export(clip, args.out, geometry, args.opset)
    verified = verify(clip, args.out, geometry) if args.verify else None
    print(f'wrote {write_metadata(clip, args, geometry, verified)}')
    if verified is not None:
        bad = {k: v for k, v in verified.items() if v > args.tol}
        if bad:
            raise SystemExit(f'--verify failed: max |diff| above {args.tol:g}: ' +
                             ', '.join(f'{k} {v:.2e}' for k, v in bad.items()))
        print('verified: ' + ', '.join(f'{k} max |diff| {v:.2e}' for k, v in verified.items()) +
              f' (tolerance {args.tol:g})')
    return verified or {}


if __name__ == '__main__':
    main()
