#!/usr/bin/env python
"""Latency of the open-vocabulary inferencers per image, split by part: load (decoding and the test pipeline),
preproc (the model's data preprocessor), text (encoding the vocabulary: the first image only, then cached),
ensemble (the frozen tower's own scores of the masks or boxes, combined with the head's), model (the rest of the
model: tower, neck, head, post-processing) and draw. With --split-model, model is split further into tower (the
frozen image tower), neck (the ViT feature pyramid), pixdec/rpn (the pixel decoder, or the RPN's convolutions), head
(the masked-attention decoder and its predictions, or the RoI head) and post (the rest of the forward: mask-class
fusion, resizing to the image, NMS, mask pasting); msdeform is the pixel decoder's multi-scale deformable attention
(mmcv's MultiScaleDeformableAttention, wherever it is), taken out of pixdec/rpn.

The parts are timed from outside the model: the inferencer's own steps (preprocess, forward, draw) and forward
hooks on the modules of each part (a part whose module is not called as a whole, like the tower's
forward_features, is timed by hooks on the modules it calls); nothing is patched. --dtypes runs each image once per
dtype, interleaved (the inferencer's dtype switched between them), and prints each dtype's table, then the mean per
part side by side with the part's share of the model's time (vocabulary, load and draw excluded) and the ratio to
the first dtype. Takes tools/demo/image_demo.py's arguments; writes nothing.

Examples:
    python tools/analysis/profile_inference.py photos/ configs/quickstart/panoptic_synthetic.py --task panoptic \\
        --weights work_dirs/quickstart_panoptic/iter_1000.pth --texts "circle,star" --stuff-texts sky --dtype bf16
    python tools/analysis/profile_inference.py photos/ configs/umgclip/panoptic_coco.py --task panoptic \\
        --weights work_dirs/panoptic_coco/iter_368750.pth --texts-file things.txt --split-model --dtypes fp32 bf16
"""
import contextlib
import time

PARTS = ('load', 'preproc', 'text', 'ensemble', 'model', 'draw')
#: --split-model: the model's forward split further; 'post' is what of the forward no other part covers.
SPLIT_PARTS = ('load', 'preproc', 'text', 'tower', 'neck', 'decoder', 'msda', 'head', 'ensemble', 'post', 'draw')
#: The parts that are the model's own compute (the share and the total of --dtypes' summary).
MODEL_PARTS = ('preproc', 'tower', 'neck', 'decoder', 'msda', 'head', 'ensemble', 'post', 'model')
HEADERS = {'decoder': 'pixdec/rpn', 'msda': 'msdeform'}
#: --split-model: modules timed by their class, wherever they are (the pixel decoder's multi-scale deformable
#: attention: mmcv's CPU path is a pure-PyTorch fallback, grid_sample per level).
TYPED = (('msda', 'MultiScaleDeformableAttention'),)
#: The modules of each part, as attribute paths from the model (those a model lacks are skipped).
HOOKED = (('preproc', ('data_preprocessor',)), ('text', ('vocab_encoder',)), ('ensemble', ('ensemble',)))
SPLIT_HOOKED = HOOKED + (('tower', ('clip.backbone',)), ('neck', ('pyramid', 'neck')),
                         ('decoder', ('panoptic_head.pixel_decoder', 'decode_head.pixel_decoder', 'rpn_head')),
                         ('head', ('panoptic_head', 'decode_head', 'roi_head')))


class PartTimer:
    """Wall-clock time per part of one image; a part timed inside another is subtracted from it (exclusive).

    Args:
        cuda (bool): Synchronise the device at every boundary.
        parts (Sequence[str]): The parts (the row's keys).
    """

    def __init__(self, cuda: bool = False, parts=PARTS):
        self.cuda, self.row, self._stack = cuda, dict.fromkeys(parts, 0.0), []

    def _now(self) -> float:
        if self.cuda:
            import torch
            torch.cuda.synchronize()
        return time.perf_counter()

    def start(self, part: str) -> None:
        self._stack.append([part, self._now(), 0.0])

    def stop(self) -> None:
        part, begun, inner = self._stack.pop()
        elapsed = self._now() - begun
        self.row[part] += elapsed - inner
        if self._stack:
            self._stack[-1][2] += elapsed

    @contextlib.contextmanager
    def section(self, part: str):
        self.start(part)
        try:
            yield
        finally:
            self.stop()


def _resolve(model, path: str):
    for name in path.split('.'):
        model = getattr(model, name, None)
        if model is None:
            return None
    return model


def hooked_modules(model, split: bool = False):
    """``[(module, part), ...]``: the modules whose forward hooks time each part. A part's module is hooked with
    every module inside it (but those of another part and theirs): a module that runs as a whole times itself (the
    time of the modules it calls nested in it, the same part), one that is not called (the tower's
    ``forward_features``, a head's ``predict``) is timed by the modules it calls."""
    import torch.nn as nn
    found, owner = [], {}
    for part, type_name in (TYPED if split else ()):
        for module in model.modules():
            if type(module).__name__ == type_name:
                owner[id(module)] = part
                found.append((module, part))
    for part, paths in (SPLIT_HOOKED if split else HOOKED):
        for path in paths:
            module = _resolve(model, path)
            if isinstance(module, nn.Module) and id(module) not in owner:
                owner[id(module)] = part
                found.append((module, part))

    def inside(module, part):
        for child in module.children():
            if id(child) not in owner:
                owner[id(child)] = part
                if not isinstance(child, (nn.ModuleList, nn.ModuleDict)):  # never called as a whole
                    found.append((child, part))
                inside(child, part)

    for module, part in list(found):
        if part in ('tower', 'neck', 'decoder', 'head'):
            inside(module, part)
    return found


@contextlib.contextmanager
def hooked(model, timer_of, split: bool = False):
    """Forward hooks timing the parts' modules (:func:`hooked_modules`) as parts of the timer ``timer_of()``
    returns; removed when the block ends."""
    handles = []
    for module, part in hooked_modules(model, split):
        handles.append(module.register_forward_pre_hook(lambda *_, p=part: timer_of().start(p)))
        handles.append(module.register_forward_hook(lambda *_: timer_of().stop()))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def table(rows, parts=PARTS) -> str:
    """The rows in milliseconds, one per image, and their mean (and the mean without the first image, which also
    encodes the vocabulary, when there are more than two)."""
    import numpy as np
    cols = list(parts) + ['total']
    width = max([len(name) for name, _ in rows] + [28]) + 2
    lines = ['latency (ms)'.ljust(width) + ''.join(HEADERS.get(c, c).rjust(11) for c in cols)]
    lines += [name.ljust(width) + ''.join(f'{1000 * row[c]:11.1f}' for c in cols) for name, row in rows]
    for label, group in (('mean', rows), ('mean without the first', rows[1:] if len(rows) > 2 else [])):
        if len(group) > 1:
            lines.append(f'{label} ({len(group)})'.ljust(width) +
                         ''.join(f'{1000 * float(np.mean([r[c] for _, r in group])):11.1f}' for c in cols))
    return '\n'.join(lines)


def summary(by_dtype, parts=PARTS) -> str:
    """Per part and dtype: the mean seconds per image, the part's share of the model's time (its own parts:
    vocabulary, load and draw excluded) and the ratio to the first dtype's mean."""
    import numpy as np
    dtypes = list(by_dtype)
    means = {d: {c: float(np.mean([r[c] for _, r in by_dtype[d]])) for c in parts} for d in dtypes}
    model = {d: sum(means[d][c] for c in parts if c in MODEL_PARTS) for d in dtypes}
    head = ['part'] + [f'{d} s' for d in dtypes] + [f'{d} share' for d in dtypes] + \
        [f'{d}/{dtypes[0]}' for d in dtypes[1:]]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + ' --- |' * len(head)]
    for c in [c for c in parts if c in MODEL_PARTS] + ['model total']:
        value = {d: model[d] if c == 'model total' else means[d][c] for d in dtypes}
        cells = [HEADERS.get(c, c)] + [f'{value[d]:.2f}' for d in dtypes]
        cells += [f'{100 * value[d] / model[d]:.0f}%' if model[d] else '-' for d in dtypes]
        cells += [f'{value[d] / value[dtypes[0]]:.2f}' if value[dtypes[0]] > 1e-4 else '-' for d in dtypes[1:]]
        lines.append('| ' + ' | '.join(cells) + ' |')
    for c in parts:
        if c not in MODEL_PARTS:
            lines.append(f'not in the model total: {c} ' + ', '.join(f'{d} {means[d][c]:.2f} s' for d in dtypes))
    return '\n'.join(lines)


def profile(inferencer, images, split: bool = False, dtypes=None, **draw_kwargs):
    """``{dtype: [(image name, {part: seconds, 'total': seconds}), ...]}``: each image through the inferencer's
    steps, once per dtype of ``dtypes`` (default: the inferencer's own), interleaved."""
    import os.path as osp
    parts = SPLIT_PARTS if split else PARTS
    dtypes = list(dtypes or [inferencer.dtype])
    rows, current = {d: [] for d in dtypes}, [None]
    cuda = next(inferencer.model.parameters()).device.type == 'cuda'
    with hooked(inferencer.model, lambda: current[0], split):
        for path in images:
            for dtype in dtypes:
                inferencer.dtype = dtype
                timer = current[0] = PartTimer(cuda, parts)
                begun = timer._now()
                with timer.section('load'):
                    (chunk, data), = list(inferencer.preprocess([path]))
                with timer.section('post' if split else 'model'):
                    pred, = inferencer.forward(data)
                with timer.section('draw'):
                    inferencer.draw(chunk[0][0], pred, **draw_kwargs)
                rows[dtype].append((osp.basename(path), dict(timer.row, total=timer._now() - begun)))
    return rows


def main(argv=None):
    from umgclip_mm.apis import demo_cli
    from umgclip_mm.apis.exceptions import UMGCLIPError
    from umgclip_mm.apis.inputs import collect_images
    parser = demo_cli.build_parser(__doc__)
    parser.add_argument('--split-model', action='store_true',
                        help='split the model part into tower, neck, pixdec/rpn, head and post')
    parser.add_argument('--dtypes', nargs='+', choices=('fp32', 'bf16', 'fp16'), metavar='DTYPE',
                        help='run each image once per dtype, interleaved (e.g. fp32 bf16), instead of --dtype')
    args = parser.parse_args(argv)
    if args.dtypes:
        args.dtype = args.dtypes[0]
    try:
        images = collect_images(args.inputs)
        texts, stuff = demo_cli.vocabulary_of(args)
        inferencer = demo_cli.build_inferencer(args)
        inferencer.set_vocabulary(texts, stuff)
        kwargs = {} if args.task == 'semseg' else dict(pred_score_thr=args.pred_score_thr)
        rows = profile(inferencer, images, args.split_model, args.dtypes, **kwargs)
    except UMGCLIPError as err:
        raise SystemExit(str(err))
    parts = SPLIT_PARTS if args.split_model else PARTS
    for dtype, dtype_rows in rows.items():
        print(f'--dtype {dtype} on {args.device}:')
        print(table(dtype_rows, parts))
    if len(rows) > 1 or args.split_model:
        print('seconds per image (mean), share of the model\'s time, ratio:')
        print(summary(rows, parts))


if __name__ == '__main__':
    main()
