#!/usr/bin/env python
"""Open-vocabulary panoptic segmentation of one image with any vocabulary: an overlay PNG and a JSON of segments.

Classes are given by name (synonyms separated by "|"); names listed in --stuff are segmented as amorphous regions
(one segment per class), the others as countable things (one segment per instance). Works on CPU.

Examples:
    python tools/demo/ov_panoptic.py demo.jpg --config configs/umgclip/panoptic_coco.py \\
        --checkpoint work_dirs/panoptic_coco/iter_368750.pth --vocab "cat|kitten,dog,sofa,sky,floor" \\
        --stuff "sky,floor" --out outputs/
    python tools/demo/ov_panoptic.py demo.jpg --config C --checkpoint K --vocab-file my_classes.txt --out outputs/
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('image', help='image file')
    parser.add_argument('--config', required=True, help='config of an OVMask2Former model')
    parser.add_argument('--checkpoint', required=True, help='trained checkpoint (loaded weights-only)')
    parser.add_argument('--vocab', default='', help='comma-separated class names ("cat|kitten,dog,sky")')
    parser.add_argument('--vocab-file', help='one class per line (synonyms separated by "|"), added to --vocab')
    parser.add_argument('--stuff', default='', help='comma-separated names of --vocab that are stuff classes')
    parser.add_argument('--out', required=True, help='output folder (<image name>.png overlay, .json segments)')
    parser.add_argument('--no-ensemble', action='store_true', help='turn the out-of-vocabulary branch off')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
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
    """JSON-ready segments of a panoptic id map (``label + instance * INSTANCE_OFFSET``; void = ``len(names)``)."""
    import numpy as np
    from mmdet.evaluation.functional import INSTANCE_OFFSET
    out = []
    for seg_id in np.unique(pan):
        label = int(seg_id % INSTANCE_OFFSET)
        if label >= len(names):
            continue
        ys, xs = np.nonzero(pan == seg_id)
        out.append(dict(id=int(seg_id), label=names[label], category_id=label, isthing=label < num_things,
                        area=int(len(ys)), bbox=[int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]))
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
    from umgclip_mm.apis.demo_utils import check_input_files
    try:
        image = check_input_files(args.image, args.config, args.checkpoint)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(str(err))
    things, stuff = read_vocab(args)

    import torch
    from mmengine.config import Config
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope

    from umgclip_mm.apis import init_model
    cfg = Config.fromfile(args.config)
    cfg.model.clip.init_cfg = None  # every weight comes from the checkpoint
    if args.no_ensemble:
        cfg.model.ensemble = None
    model = init_model(cfg, args.checkpoint, device=args.device)
    model.set_test_vocabulary(dict(thing_classes=things, stuff_classes=stuff))
    vocab = model.test_vocab

    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
        steps = [t for t in cfg.test_dataloader.dataset.pipeline if 'Annotations' not in t['type']]
        data = Compose(steps)(dict(img_path=args.image, img_id=0))
        batch = model.data_preprocessor(dict(inputs=[data['inputs']], data_samples=[data['data_samples']]), False)
        with torch.no_grad():
            result = model(**batch, mode='predict')[0]

        os.makedirs(args.out, exist_ok=True)
        stem = osp.splitext(osp.basename(args.image))[0]
        names = vocab.names
        pan = result.pred_panoptic_seg.sem_seg[0].cpu().numpy()
        segments = segments_of(pan, names, vocab.num_things)
        draw(image, result, vocab, segments, osp.join(args.out, stem + '.png'))
    with open(osp.join(args.out, stem + '.json'), 'w') as f:
        json.dump(dict(image=args.image, height=int(pan.shape[0]), width=int(pan.shape[1]), classes=names,
                       segments=segments), f, indent=1)
    print(f'{len(segments)} segments: {osp.join(args.out, stem + ".png")}, {osp.join(args.out, stem + ".json")}')


if __name__ == '__main__':
    main()
