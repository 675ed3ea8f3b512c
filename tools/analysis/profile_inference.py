#!/usr/bin/env python
"""Latency of the open-vocabulary inferencers per image, split by part: load (decoding and the test pipeline),
preproc (the model's data preprocessor), text (encoding the vocabulary: the first image only, then cached),
ensemble (the out-of-vocabulary branch), model (the rest of the model: tower, neck, head, post-processing) and draw.

The parts are timed from outside the model: the inferencer's own steps (preprocess, forward, draw) and forward
hooks on the data preprocessor, the vocabulary encoder and the ensemble module (nothing is patched). Takes
tools/demo/image_demo.py's arguments; writes nothing.

Examples:
    python tools/analysis/profile_inference.py photos/ configs/quickstart/panoptic_synthetic.py --task panoptic \\
        --weights work_dirs/quickstart_panoptic/iter_1000.pth --texts "circle,star" --stuff-texts sky --dtype bf16
"""
import contextlib
import time

PARTS = ('load', 'preproc', 'text', 'ensemble', 'model', 'draw')


class PartTimer:
    """Wall-clock time per part of one image; a part timed inside another is subtracted from it (exclusive).

    Args:
        cuda (bool): Synchronise the device at every boundary.
    """

    def __init__(self, cuda: bool = False):
        self.cuda, self.row, self._stack = cuda, dict.fromkeys(PARTS, 0.0), []

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


@contextlib.contextmanager
def hooked(model, timer_of):
    """Forward hooks timing the model's data preprocessor, vocabulary encoder and ensemble as parts of the timer
    ``timer_of()`` returns; removed when the block ends."""
    handles = []
    for attr, part in (('data_preprocessor', 'preproc'), ('vocab_encoder', 'text'), ('ensemble', 'ensemble')):
        module = getattr(model, attr, None)
        if module is not None:
            handles.append(module.register_forward_pre_hook(lambda *_, p=part: timer_of().start(p)))
            handles.append(module.register_forward_hook(lambda *_: timer_of().stop()))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def table(rows) -> str:
    """The rows in milliseconds, one per image, and their mean (and the mean without the first image, which also
    encodes the vocabulary, when there are more than two)."""
    import numpy as np
    cols = list(PARTS) + ['total']
    width = max([len(name) for name, _ in rows] + [28]) + 2
    lines = ['latency (ms)'.ljust(width) + ''.join(c.rjust(10) for c in cols)]
    lines += [name.ljust(width) + ''.join(f'{1000 * row[c]:10.1f}' for c in cols) for name, row in rows]
    for label, group in (('mean', rows), ('mean without the first', rows[1:] if len(rows) > 2 else [])):
        if len(group) > 1:
            lines.append(f'{label} ({len(group)})'.ljust(width) +
                         ''.join(f'{1000 * float(np.mean([r[c] for _, r in group])):10.1f}' for c in cols))
    return '\n'.join(lines)


def profile(inferencer, images, **draw_kwargs):
    """``[(image name, {part: seconds, 'total': seconds}), ...]``: each image through the inferencer's steps."""
    import os.path as osp
    rows, current = [], [None]
    cuda = next(inferencer.model.parameters()).device.type == 'cuda'
    with hooked(inferencer.model, lambda: current[0]):
        for path in images:
            timer = current[0] = PartTimer(cuda)
            begun = timer._now()
            with timer.section('load'):
                (chunk, data), = list(inferencer.preprocess([path]))
            with timer.section('model'):
                pred, = inferencer.forward(data)
            with timer.section('draw'):
                inferencer.draw(chunk[0][0], pred, **draw_kwargs)
            rows.append((osp.basename(path), dict(timer.row, total=timer._now() - begun)))
    return rows


def main(argv=None):
    from umgclip_mm.apis import demo_cli
    from umgclip_mm.apis.exceptions import UMGCLIPError
    from umgclip_mm.apis.inputs import collect_images
    args = demo_cli.build_parser(__doc__).parse_args(argv)
    try:
        images = collect_images(args.inputs)
        texts, stuff = demo_cli.vocabulary_of(args)
        inferencer = demo_cli.build_inferencer(args)
        inferencer.set_vocabulary(texts, stuff)
        kwargs = {} if args.task == 'semseg' else dict(pred_score_thr=args.pred_score_thr)
        rows = profile(inferencer, images, **kwargs)
    except UMGCLIPError as err:
        raise SystemExit(str(err))
    print(f'--dtype {args.dtype} on {args.device}:')
    print(table(rows))


if __name__ == '__main__':
    main()
