#!/usr/bin/env python
"""Open-vocabulary panoptic segmentation of images with any vocabulary: an overlay PNG and a JSON of segments, per
image.

Classes are given by name (synonyms separated by "|"); names listed in --stuff are segmented as amorphous regions
(one segment per class), the others as countable things (one segment per instance). Takes image files and folders
(their images; the model is loaded once); writes OUT/<image name>.png (the segments over the image) and
OUT/<image name>.json (per segment: id, class, thing or stuff, area, bbox as COCO's x y width height;
docs/inference.md has the schema). An image that cannot be read is reported and skipped, the others done, and the
exit status is then 1. --profile prints each image's latency split by model part. Works on CPU.

Examples:
    python tools/demo/ov_panoptic.py demo.jpg --config configs/umgclip/panoptic_coco.py \\
        --checkpoint work_dirs/panoptic_coco/iter_368750.pth --vocab "cat|kitten,dog,sofa,sky,floor" \\
        --stuff "sky,floor" --out outputs/
    python tools/demo/ov_panoptic.py demo.jpg --config C --checkpoint K --vocab-file my_classes.txt --out outputs/
    python tools/demo/ov_panoptic.py photos/ a.jpg --config C --checkpoint K --vocab "cat,sky" --stuff sky \\
        --out outputs/ --dtype bf16 --profile
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('images', nargs='+', metavar='IMAGE', help='image files or folders of them')
    parser.add_argument('--config', required=True, help='config of an OVMask2Former model')
    parser.add_argument('--checkpoint', required=True, help='trained checkpoint (loaded weights-only)')
    parser.add_argument('--vocab', default='', help='comma-separated class names ("cat|kitten,dog,sky")')
    parser.add_argument('--vocab-file', help='one class per line (synonyms separated by "|"), added to --vocab')
    parser.add_argument('--stuff', default='', help='comma-separated names of --vocab that are stuff classes')
    parser.add_argument('--out', required=True, help='output folder (<image name>.png overlay, .json segments)')
    parser.add_argument('--no-ensemble', action='store_true', help='turn the out-of-vocabulary branch off')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    from umgclip_mm.apis.demo_utils import add_run_arguments
    add_run_arguments(parser)
    return parser.parse_args(argv)


def read_vocab(args):
    """``(thing entries, stuff entries)`` from the command line; entries keep their "|" synonyms. An empty
    vocabulary or a class given twice ends the program with the fix."""
    from umgclip_mm.apis.demo_utils import vocabulary_entries
    try:
        entries = vocabulary_entries(args.vocab, args.vocab_file)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(str(err))
    stuff = {s.strip() for s in args.stuff.split(',') if s.strip()}
    unknown = stuff - {e.split('|')[0] for e in entries}
    if unknown:
        raise SystemExit(f'--stuff names {sorted(unknown)}, which are not classes of --vocab / --vocab-file')
    return [e for e in entries if e.split('|')[0] not in stuff], [e for e in entries if e.split('|')[0] in stuff]


def segments_of(pan, names, num_things):
    """JSON-ready segments of a panoptic id map (``label + instance * INSTANCE_OFFSET``; void = ``len(names)``):
    ``bbox`` is COCO's ``[x, y, width, height]`` of the segment's pixels."""
    import numpy as np
    from mmdet.evaluation.functional import INSTANCE_OFFSET
    out = []
    for seg_id in np.unique(pan):
        label = int(seg_id % INSTANCE_OFFSET)
        if label >= len(names):
            continue
        ys, xs = np.nonzero(pan == seg_id)
        out.append(dict(id=int(seg_id), label=names[label], category_id=label, isthing=label < num_things,
                        area=int(len(ys)), bbox=[int(xs.min()), int(ys.min()), int(xs.max() - xs.min()) + 1,
                                                 int(ys.max() - ys.min()) + 1]))
    return out


def draw(image, result, vocab, segments, out_file: str) -> None:
    """The panoptic overlay (mmdet's visualizer, its COCO palette) into ``out_file``; with no segment at all
    (nothing of the vocabulary found: mmdet's visualizer cannot draw an empty map) the image with a panel saying so.
    """
    from mmdet.visualization import DetLocalVisualizer
    from mmdet.visualization.palette import get_palette
    names = vocab.names
    vis = DetLocalVisualizer(name=f'ov_panoptic_{os.getpid()}_{id(result)}')
    if not segments:  # the image with a panel saying so, sized to the text (demo_drawing's legend panel)
        import mmcv

        from umgclip_mm.apis.demo_drawing import add_legend
        mmcv.imwrite(add_legend(image, [], title='no segment of this vocabulary found')[..., ::-1], out_file)
        return
    # mmdet's designed COCO (panoptic) palette, distinct colours for up to 133 classes; seeded random beyond
    palette = get_palette('coco' if len(names) <= 133 else 'random', len(names))[:len(names)]
    vis.dataset_meta = dict(classes=names, thing_classes=vocab.thing_classes, stuff_classes=vocab.stuff_classes,
                            palette=palette)
    vis.add_datasample('panoptic', image, result, draw_gt=False, show=False, out_file=out_file)


def main(argv=None):
    args = parse_args(argv)
    from umgclip_mm.apis import demo_utils
    run = demo_utils.DemoRun(args.images, args.config, args.checkpoint,
                             lambda: demo_utils.build_demo_model(args, 'panoptic', vocab), dtype=args.dtype,
                             device=args.device, profile=args.profile)
    things, stuff = read_vocab(args)
    vocab = dict(thing_classes=things, stuff_classes=stuff)

    def process(path, stem, image):
        model = run.model
        result = run.predict(image)
        if 'pred_panoptic_seg' not in result:
            raise SystemExit(f'{args.config}: the model gave no panoptic segmentation (pred_panoptic_seg); use a '
                             f'panoptic config')
        names = model.test_vocab.names
        with run.section('head'):
            pan = result.pred_panoptic_seg.sem_seg[0].cpu().numpy()
            segments = segments_of(pan, names, model.test_vocab.num_things)
        with run.section('draw'):
            png, js = run.output_paths(args.out, stem)
            draw(image, result, model.test_vocab, segments, png)
            run.write_json(js, path, pan.shape, classes=names, segments=segments)
        return f'{len(segments)} segments: {png}, {js}'

    run.run(process)
    run.finish()


if __name__ == '__main__':
    main()
