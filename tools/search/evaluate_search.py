#!/usr/bin/env python
r"""Search quality of checkpoints side by side on captioned held-out images (the toy world's val split by default):
for each checkpoint and proposal kind, build (or resume) an index over the images without their captions, then
report region- and mask-level recall@1/5/10 of text -> item search over the whole collection (a hit: an item in an
image whose region or mask carries the query caption, box IoU >= 0.5 with it) and phrase grounding accuracy (each
caption grounded in its own image: top-1 box IoU >= 0.5).

Proposals: ``given`` indexes the annotated boxes and masks (the embeddings alone decide); ``grid`` indexes sliding
windows instead of the boxes (the embeddings must also pick the window that fits the object; its masks are the given
ones, so only its region rows are printed); ``panoptic`` (with --panoptic-config/--panoptic-checkpoint) indexes the
panoptic model's class-agnostic masks and their boxes (the proposals must also find the objects).

Example (what `make quickstart-report` runs):
    python tools/search/evaluate_search.py data/synthetic/umg/val.jsonl \
        --config configs/quickstart/pretrain_synthetic.py \
        --checkpoints work_dirs/quickstart/iter_600.pth work_dirs/quickstart_image_only/iter_600.pth \
        --names all-terms image-only --work-dir work_dirs/quickstart_search
"""
import argparse
import json
import os.path as osp
import shutil
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('ann_file', help='UMG JSON-lines file with region and mask captions')
    parser.add_argument('--config', required=True, help='UMG-CLIP config of the checkpoints')
    parser.add_argument('--checkpoints', nargs='+', required=True)
    parser.add_argument('--names', nargs='+', help='a column name per checkpoint (default: file names)')
    parser.add_argument('--proposals', nargs='+', default=['given', 'grid'], choices=['given', 'grid', 'panoptic'])
    parser.add_argument('--panoptic-config', help='open-vocabulary panoptic config for --proposals panoptic')
    parser.add_argument('--panoptic-checkpoint', help='its checkpoint')
    parser.add_argument('--data-root', help='folder of the images (default: guessed from the file)')
    parser.add_argument('--work-dir', default='work_dirs/search_eval', help='indexes go to WORK_DIR/NAME-PROPOSALS')
    parser.add_argument('--out', help='write {name: {proposals: metrics}} to this JSON file')
    args = parser.parse_args(argv)
    if 'panoptic' in args.proposals and not args.panoptic_config:
        parser.error('--proposals panoptic needs --panoptic-config (and --panoptic-checkpoint)')
    args.names = args.names or [osp.splitext(osp.basename(c))[0] for c in args.checkpoints]
    if len(args.names) != len(args.checkpoints) or len(set(args.names)) != len(args.names):
        parser.error(f'--names: {len(args.checkpoints)} distinct names needed, got {args.names}')
    return args


def table(results: dict) -> str:
    """Rows ``proposals metric``, a column per checkpoint, then each column's difference to the first."""
    names = list(results)
    rows = list(dict.fromkeys((p, m) for r in results.values() for p, ms in r.items() for m in ms))

    def fmt(v, sign=''):
        return '-' if v is None else f'{v:{sign}.1f}'

    lines = [['search (%)'] + names + [f'{n} - {names[0]}' for n in names[1:]]]
    for p, m in rows:
        vals = [results[n].get(p, {}).get(m) for n in names]
        lines.append([f'{p} {m}'] + [fmt(v) for v in vals] +
                     [fmt(None if v is None or vals[0] is None else v - vals[0], '+') for v in vals[1:]])
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return '\n'.join('  '.join(cell.ljust(w) if i == 0 else cell.rjust(w)
                                for i, (cell, w) in enumerate(zip(line, widths))) for line in lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmengine.logging import MMLogger

    import umgclip_mm  # noqa: F401
    from umgclip_mm.search import (CollectionError, PanopticProposer, RegionEmbedder, SearchIndex,
                                   SearchIndexBuilder, SearchIndexError, evaluate_index, read_captioned_items,
                                   read_collection)
    MMLogger.get_instance('umgclip_mm', log_level='WARNING')
    missing = [c for c in args.checkpoints if not osp.isfile(c)]
    if missing:
        print(f'error: checkpoint(s) {missing} do not exist (make quickstart writes them)', file=sys.stderr)
        return 2
    try:
        items, data_root = read_collection(args.ann_file, args.data_root)
        truth = read_captioned_items(args.ann_file)
        results = {}
        proposers = {}
        if 'panoptic' in args.proposals:
            proposers['panoptic'] = PanopticProposer.from_config(args.panoptic_config, args.panoptic_checkpoint)
        for name, ckpt in zip(args.names, args.checkpoints):
            embedder = RegionEmbedder.from_config(args.config, ckpt)
            results[name] = {}
            for proposals in args.proposals:
                out_dir = osp.join(args.work_dir, f'{name}-{proposals}')
                info = dict(config=args.config, checkpoint=ckpt)
                if proposals == 'panoptic':
                    info.update(panoptic_config=args.panoptic_config, panoptic_checkpoint=args.panoptic_checkpoint)
                builder = SearchIndexBuilder(embedder, out_dir, proposals, proposers.get(proposals), progress=False,
                                             model_info=info)
                try:
                    builder.prepare(items, data_root)
                except SearchIndexError:  # an index of an earlier checkpoint of that name: this tool's own folder
                    shutil.rmtree(out_dir)
                builder.build(items, data_root)
                metrics = evaluate_index(SearchIndex(out_dir, embedder), truth)
                if proposals == 'grid':  # its masks are the given ones: the mask rows would repeat 'given's
                    metrics = {k: v for k, v in metrics.items() if not k.startswith('mask_')}
                results[name][proposals] = metrics
    except (CollectionError, SearchIndexError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(f'text -> item search and grounding on {len(items)} images of {args.ann_file} (IoU >= 0.5)')
    print(table(results))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
