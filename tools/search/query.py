#!/usr/bin/env python
"""Search an index built by tools/search/build_index.py: by text, or by an example region (an image and a box), at
the image, region or mask level or all of them; or ground a phrase in one indexed image (--ground). Prints the hits
(score, level, image, box) and, with --out-dir, writes hits.json and hits.png (a thumbnail per hit with its box or
mask drawn and its score).

The model defaults to the config and checkpoint the index was built with (their paths relative to the index
folder, as the manifest records them); a checkpoint whose SHA-256 differs from the manifest's is refused.

Examples:
    python tools/search/query.py work_dirs/search/toy "a red circle" --level region --topk 10 --out-dir out/
    python tools/search/query.py work_dirs/search/toy "the sky" --level all
    python tools/search/query.py work_dirs/search/toy --example-image img.png --example-box 10 10 60 60
    python tools/search/query.py work_dirs/search/toy "a blue star" --ground images/val/val_000003.png
"""
import argparse
import json
import os
import os.path as osp
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('index', help='the index folder')
    parser.add_argument('text', nargs='?', help='the query text (or give --example-image and --example-box)')
    parser.add_argument('--level', default='region', choices=['image', 'region', 'mask', 'all'])
    parser.add_argument('--topk', type=int, default=10)
    parser.add_argument('--example-image', help='query by example: an image file ...')
    parser.add_argument('--example-box', type=float, nargs=4, metavar=('X1', 'Y1', 'X2', 'Y2'),
                        help='... and a box in it (pixels)')
    parser.add_argument('--ground', metavar='KEY', help='ground the text in this indexed image (its path relative to '
                        'the collection\'s data root) instead of searching the collection')
    parser.add_argument('--config', help='default: the one the index was built with')
    parser.add_argument('--checkpoint', help='default: the one the index was built with')
    parser.add_argument('--data-root', help='where the images are now (default: as the manifest says, relative to '
                        'the index folder)')
    parser.add_argument('--nprobe', type=int, help='IVF-PQ lists to visit (more: slower, closer to exact)')
    parser.add_argument('--out-dir', help='write hits.json and hits.png here')
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)
    if (args.example_image is None) != (args.example_box is None):
        parser.error('--example-image and --example-box go together')
    if not args.text and args.example_image is None:
        parser.error('give a query text or --example-image with --example-box')
    if args.ground and not args.text:
        parser.error('--ground needs a query text (the phrase)')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmengine.logging import MMLogger

    import umgclip_mm  # noqa: F401
    from umgclip_mm.search import (BadImageError, RegionEmbedder, SearchIndex, SearchIndexError, hit_grid,
                                   index_model_files, read_image)
    MMLogger.get_instance('umgclip_mm', log_level='WARNING')
    try:
        index = SearchIndex(args.index, nprobe=args.nprobe)
        config, checkpoint = index_model_files(args.index, index.manifest, args.config, args.checkpoint)
        index.embedder = RegionEmbedder.from_config(config, checkpoint, device=args.device,
                                                    img_size=index.manifest['model']['img_size'])
        if args.ground:
            hits = index.ground(args.ground, args.text, 'all' if args.level in ('all', 'image') else args.level,
                                args.topk)
            title = f'grounding "{args.text}" in {args.ground}'
        elif args.example_image:
            hits = index.search_region(read_image(args.example_image), args.example_box, args.level, args.topk)
            title = f'like the box {args.example_box} of {osp.basename(args.example_image)} ({args.level})'
        else:
            hits = index.search_text(args.text, args.level, args.topk)
            title = f'"{args.text}" ({args.level})'
    except (SearchIndexError, BadImageError, KeyError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(title)
    for rank, hit in enumerate(hits, 1):
        box = '' if hit.box is None else ' box ' + ' '.join(f'{v:.1f}' for v in hit.box)
        print(f'{rank:3d}  {hit.score:.4f}  {hit.level:<6}  {hit.key}{box}')
    if args.out_dir:
        import cv2
        os.makedirs(args.out_dir, exist_ok=True)
        with open(osp.join(args.out_dir, 'hits.json'), 'w') as f:
            json.dump(dict(query=title, hits=[h.to_dict() for h in hits]), f, indent=1)
        grid = hit_grid(hits, args.data_root or index.data_root, title)
        cv2.imwrite(osp.join(args.out_dir, 'hits.png'), grid)
        print(f'wrote {osp.join(args.out_dir, "hits.png")} and hits.json')
    return 0


if __name__ == '__main__':
    sys.exit(main())
