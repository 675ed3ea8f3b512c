#!/usr/bin/env python
"""Open-vocabulary detection of images with any vocabulary: a PNG of labelled boxes (and masks) and a JSON of the
detections, per image.

Finds the objects of the classes in --vocab (synonyms separated by "|") and keeps those scoring at least
--score-thr. Takes image files and folders (their images; the model is loaded once); writes OUT/<image name>.png
(each detection's box, and its mask when the model has a mask head, in its class's colour, tagged "name score") and
OUT/<image name>.json (per detection: name, label, score, bbox as COCO's x y width height and box as x1 y1 x2 y2, in
the original image's pixels, and the mask's area in pixels when there is one; docs/inference.md has the schema). An
image that cannot be read is reported and skipped, the others done, and the exit status is then 1. Models:
umgclip_mm.OVTwoStageDetector (F-VLM) and umgclip_mm.OVMask2Former (its instance output). Works on CPU.

Examples:
    python tools/demo/ov_detection.py demo.jpg --config configs/quickstart/detection_synthetic.py \\
        --checkpoint work_dirs/quickstart_detection/iter_600.pth --vocab "circle|disc,square,star" --out outputs/
    python tools/demo/ov_detection.py demo.jpg --config C --checkpoint K --vocab-file my_classes.txt \\
        --score-thr 0.5 --no-ensemble --out outputs/
    python tools/demo/ov_detection.py photos/ --config C --checkpoint K --vocab "cat,dog" --out outputs/ --profile
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('images', nargs='+', metavar='IMAGE', help='image files or folders of them')
    parser.add_argument('--config', required=True, help='config of an OVTwoStageDetector or OVMask2Former model')
    parser.add_argument('--checkpoint', required=True, help='the model\'s checkpoint (loaded weights-only)')
    parser.add_argument('--vocab', default='', help='comma-separated class names ("cat|kitten,dog,car")')
    parser.add_argument('--vocab-file', help='one class per line (synonyms separated by "|"), added to --vocab')
    parser.add_argument('--out', required=True, help='output folder (<image name>.png boxes, .json detections)')
    parser.add_argument('--score-thr', type=float, default=0.3, help='lowest score shown and listed (default 0.3)')
    parser.add_argument('--no-ensemble', action='store_true', help='turn the UMG-CLIP region score off')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    from umgclip_mm.apis.demo_utils import add_run_arguments
    add_run_arguments(parser)
    return parser.parse_args(argv)


def detections_of(instances, names, score_thr):
    """JSON-ready detections of ``pred_instances`` scoring at least ``score_thr``, best first (``bbox``: COCO's
    ``x, y, width, height``; ``box``: ``x1, y1, x2, y2``; original-image pixels), their boxes, labels and masks
    (``[N, H, W]`` bool, or ``None``)."""
    import numpy as np
    scores = instances.scores.cpu().numpy()
    keep = np.nonzero(scores >= score_thr)[0]
    keep = keep[np.argsort(-scores[keep], kind='stable')]
    boxes = instances.bboxes.cpu().numpy()[keep]
    labels = instances.labels.cpu().numpy()[keep]
    masks = instances.masks.cpu().numpy()[keep].astype(bool) if 'masks' in instances else None
    out = []
    for i in range(len(keep)):
        x1, y1, x2, y2 = (float(v) for v in boxes[i])
        det = dict(name=names[int(labels[i])], label=int(labels[i]), score=round(float(scores[keep[i]]), 4),
                   bbox=[round(x1, 1), round(y1, 1), round(x2 - x1, 1), round(y2 - y1, 1)],
                   box=[round(x1, 1), round(y1, 1), round(x2, 1), round(y2, 1)])
        if masks is not None:
            det['mask_area'] = int(masks[i].sum())
        out.append(det)
    return out, boxes, labels, masks


def main(argv=None):
    args = parse_args(argv)
    if not 0 <= args.score_thr <= 1:
        raise SystemExit(f'--score-thr {args.score_thr}: give a score from 0 to 1')
    from umgclip_mm.apis import demo_drawing, demo_utils
    run = demo_utils.DemoRun(args.images, args.config, args.checkpoint,
                             lambda: demo_utils.build_demo_model(args, 'detection', entries), dtype=args.dtype,
                             device=args.device, profile=args.profile)
    try:
        entries = demo_utils.vocabulary_entries(args.vocab, args.vocab_file)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(str(err))

    def process(path, stem, image):
        model = run.model
        names = model.test_vocab.names
        result = run.predict(image)
        if 'pred_instances' not in result:
            raise SystemExit(f'{args.config}: the model gave no detections (pred_instances); use a detection config')
        with run.section('head'):
            detections, boxes, labels, masks = detections_of(result.pred_instances, names, args.score_thr)
        import mmcv
        with run.section('draw'):
            palette = demo_drawing.distinct_palette(len(names))
            texts = [f'{d["name"]} {d["score"]:.2f}' for d in detections]
            colours = [palette[int(lab)] for lab in labels]
            order = slice(None, None, -1)  # the best drawn last, on top
            drawn = demo_drawing.draw_detections(image, boxes[order], texts[order], colours[order],
                                                 None if masks is None else masks[order])
            png, js = run.output_paths(args.out, stem)
            mmcv.imwrite(drawn[..., ::-1], png)  # mmcv writes BGR
            run.write_json(js, path, image.shape, score_thr=args.score_thr, classes=names, detections=detections)
        return f'{len(detections)} detections scoring {args.score_thr} or more: {png}, {js}'

    run.run(process)
    run.finish()


if __name__ == '__main__':
    main()
