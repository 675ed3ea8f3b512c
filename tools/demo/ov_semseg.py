#!/usr/bin/env python
"""Open-vocabulary semantic segmentation of images with any vocabulary: an overlay PNG with a legend, and a JSON
of the classes found, per image.

Every pixel gets the best-matching class of --vocab (synonyms separated by "|"). Takes image files and folders (their
images; the model is loaded once); writes OUT/<image name>.png (the class map over the image, and a legend: colour,
class name and pixel share of every class present) and OUT/<image name>.json (per class present: name, label, pixel
count and fraction; docs/inference.md has the schema). An image that cannot be read is reported and skipped, the
others done, and the exit status is then 1. Models: the trained umgclip_mm.OVEncoderDecoder, the training-free
umgclip_mm.ZeroShotSegmentor, and umgclip_mm.OVMask2Former (its semantic output). Works on CPU.

Examples:
    python tools/demo/ov_semseg.py demo.jpg --config configs/quickstart/semseg_synthetic.py \\
        --checkpoint work_dirs/quickstart_semseg/iter_1000.pth --vocab "circle|disc,square,sky,grass" --out outputs/
    python tools/demo/ov_semseg.py demo.jpg --config configs/quickstart/semseg_zeroshot_synthetic.py \\
        --checkpoint work_dirs/quickstart/iter_600.pth --vocab-file my_classes.txt --out outputs/ --opacity 0.6
    python tools/demo/ov_semseg.py demo.jpg --config configs/quickstart/panoptic_semantic_synthetic.py \\
        --checkpoint work_dirs/quickstart_panoptic/iter_1000.pth --vocab "circle,star,sky,grass" --out outputs/
    python tools/demo/ov_semseg.py photos/ more.jpg --config C --checkpoint K --vocab "sky,grass" --out outputs/ \\
        --dtype bf16 --profile
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('images', nargs='+', metavar='IMAGE', help='image files or folders of them')
    parser.add_argument('--config', required=True,
                        help='config of an OVEncoderDecoder, ZeroShotSegmentor or OVMask2Former model')
    parser.add_argument('--checkpoint', required=True, help='the model\'s checkpoint (loaded weights-only)')
    parser.add_argument('--vocab', default='', help='comma-separated class names ("cat|kitten,dog,sky")')
    parser.add_argument('--vocab-file', help='one class per line (synonyms separated by "|"), added to --vocab')
    parser.add_argument('--out', required=True, help='output folder (<image name>.png overlay, .json classes)')
    parser.add_argument('--no-ensemble', action='store_true', help='turn the out-of-vocabulary branch off')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    parser.add_argument('--opacity', type=float, default=0.5, help='opacity of the class colours (0-1, default 0.5)')
    from umgclip_mm.apis.demo_utils import add_run_arguments
    add_run_arguments(parser)
    return parser.parse_args(argv)


def class_shares(labels, names):
    """Per class present in the label map (``[H, W]``), most pixels first: name, label, pixels, fraction."""
    import numpy as np
    ids, counts = np.unique(labels, return_counts=True)
    total = int(labels.size)
    found = [(int(i), int(c)) for i, c in zip(ids, counts) if 0 <= i < len(names)]
    found.sort(key=lambda ic: (-ic[1], ic[0]))
    return [dict(name=names[i], label=i, pixels=c, fraction=round(c / total, 6)) for i, c in found]


def draw(image, labels, names, shares, opacity):
    """The class map over ``image`` (mmseg's visualizer) with the legend panel of the classes present."""
    import os

    import numpy as np
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    from mmseg.visualization import SegLocalVisualizer

    from umgclip_mm.apis import demo_drawing
    palette = demo_drawing.distinct_palette(len(names))
    vis = SegLocalVisualizer(name=f'ov_semseg_{os.getpid()}_{id(labels)}', alpha=opacity)
    vis.set_dataset_meta(classes=names, palette=palette)  # (its constructor passes the two swapped)
    sample = SegDataSample(pred_sem_seg=PixelData(data=labels[None].astype(np.int64)))
    vis.add_datasample('ov_semseg', image, sample, draw_gt=False, with_labels=False)
    rows = [(palette[s['label']], s['name'], f'{100 * s["fraction"]:.1f}%' if s['fraction'] >= 0.0005 else '<0.1%')
            for s in shares]
    return demo_drawing.add_legend(vis.get_image(), rows, title='class: pixel share')


def main(argv=None):
    args = parse_args(argv)
    if not 0 <= args.opacity <= 1:
        raise SystemExit(f'--opacity {args.opacity}: give a value from 0 (image only) to 1 (colours only)')
    from umgclip_mm.apis import demo_utils
    run = demo_utils.DemoRun(args.images, args.config, args.checkpoint,
                             lambda: demo_utils.build_demo_model(args, 'semseg', entries), dtype=args.dtype,
                             device=args.device, profile=args.profile)
    try:  # two classes at least: every pixel takes one of them (and mmseg's one-class path thresholds instead)
        entries = demo_utils.vocabulary_entries(args.vocab, args.vocab_file, min_classes=2)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(str(err))

    def process(path, stem, image):
        model = run.model
        names = model.test_vocab.names
        result = run.predict(image)
        if 'pred_sem_seg' not in result:
            raise SystemExit(f'{args.config}: the model gave no semantic segmentation (pred_sem_seg); use a semantic '
                             f'segmentation config')
        import mmcv
        import numpy as np
        with run.section('head'):
            labels = result.pred_sem_seg.data[0].cpu().numpy()
            if labels.shape != image.shape[:2]:  # mmseg and mmdet rescale to the original size; in case one does not
                labels = mmcv.imresize(labels.astype(np.int32), image.shape[1::-1], interpolation='nearest')
            shares = class_shares(labels, names)
        with run.section('draw'):
            canvas = draw(image, labels, names, shares, args.opacity)
            png, js = run.output_paths(args.out, stem)
            mmcv.imwrite(canvas[..., ::-1], png)  # mmcv writes BGR
            run.write_json(js, path, labels.shape, classes=names, present=shares)
        return f'{len(shares)} of {len(names)} classes present: {png}, {js}'

    run.run(process)
    run.finish()


if __name__ == '__main__':
    main()
