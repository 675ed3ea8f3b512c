#!/usr/bin/env python
r"""Build a search index over a collection of images: each image's global embedding, the embeddings of its
class-agnostic box proposals and of its masks, with the boxes and masks (COCO RLE), in shards with a manifest and
one FAISS index per level (docs/search.md). An interrupted build resumes where it stopped when run again with the
same arguments; unreadable images are skipped, counted and named.

COLLECTION is a UMG JSON-lines file (its regions' boxes and its masks are the given proposals), a COCO instances
JSON file (its annotations' boxes and segmentations), or a folder of images.

Examples:
    python tools/search/build_index.py data/synthetic/umg/val.jsonl work_dirs/search/toy \
        --config configs/quickstart/pretrain_synthetic.py --checkpoint work_dirs/quickstart/iter_600.pth
    python tools/search/build_index.py photos/ work_dirs/search/photos --config CFG --checkpoint CKPT \
        --proposals rpn --detector-config configs/quickstart/detection_synthetic.py \
        --detector-checkpoint work_dirs/detection_synthetic/iter_600.pth
    python tools/search/build_index.py photos/ work_dirs/search/photos_pan --config CFG --checkpoint CKPT \
        --proposals panoptic --panoptic-config configs/quickstart/panoptic_synthetic.py \
        --panoptic-checkpoint work_dirs/quickstart_panoptic/iter_1000.pth
    # 10M images on 8 GPUs: shards dealt to the ranks, rank 0 merges and builds the FAISS indexes
    python -m torch.distributed.run --nproc_per_node 8 tools/search/build_index.py ... --launcher pytorch
"""
import argparse
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('collection', help='a UMG .jsonl file, a COCO instances .json file or a folder of images')
    parser.add_argument('out_dir', help='the index folder (created; an unfinished build in it is resumed)')
    parser.add_argument('--config', required=True, help='UMG-CLIP config (or a task config with a "clip" model)')
    parser.add_argument('--checkpoint', help='its weights (without: random weights, for trying the tool only)')
    parser.add_argument('--data-root', help='folder the annotation file\'s image paths are relative to '
                        '(default: the file\'s folder or its parent)')
    parser.add_argument('--proposals', default='given', choices=['given', 'grid', 'rpn', 'panoptic', 'none'],
                        help='box proposals: the collection\'s boxes, sliding windows, a detector\'s RPN, the panoptic '
                        'model\'s class-agnostic masks (and their boxes), or none (masks are the collection\'s, except '
                        'with panoptic)')
    parser.add_argument('--detector-config', help='detector config for --proposals rpn')
    parser.add_argument('--detector-checkpoint', help='detector checkpoint for --proposals rpn')
    parser.add_argument('--panoptic-config', help='open-vocabulary panoptic config for --proposals panoptic')
    parser.add_argument('--panoptic-checkpoint', help='its checkpoint for --proposals panoptic')
    parser.add_argument('--max-proposals', type=int, help='RPN boxes (default 100) or panoptic masks (default 20) '
                        'kept per image')
    parser.add_argument('--shard-size', type=int, default=1000, help='images per shard')
    parser.add_argument('--batch-size', type=int, default=16, help='images per forward pass')
    parser.add_argument('--index-kind', default='auto', choices=['auto', 'flat', 'ivfpq'],
                        help='FAISS index per level (auto: flat up to 100k vectors, IVF-PQ beyond)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--launcher', default='none', choices=['none', 'pytorch', 'slurm'],
                        help='distributed build: each rank embeds every world_size-th shard, rank 0 merges')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    args = parser.parse_args(argv)
    if args.proposals == 'rpn' and not args.detector_config:
        parser.error('--proposals rpn needs --detector-config (and --detector-checkpoint)')
    if args.proposals == 'panoptic' and not args.panoptic_config:
        parser.error('--proposals panoptic needs --panoptic-config (and --panoptic-checkpoint)')
    if args.max_proposals is not None and args.max_proposals < 1:
        parser.error(f'--max-proposals {args.max_proposals}: give at least 1')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmengine.dist import barrier, get_dist_info, init_dist
    from mmengine.logging import MMLogger

    import umgclip_mm  # noqa: F401  (registers the modules and the checkpoint allow-list)
    from umgclip_mm.search import (CollectionError, PanopticProposer, RegionEmbedder, RPNProposer,
                                   SearchIndexBuilder, SearchIndexError, read_collection)
    MMLogger.get_instance('umgclip_mm', log_level='INFO')
    if args.launcher != 'none':
        init_dist(args.launcher)
    rank, world_size = get_dist_info()
    device = args.device  # 'cuda' is each rank's own GPU: mmengine's init_dist sets it
    try:
        items, data_root = read_collection(args.collection, args.data_root)
        embedder = RegionEmbedder.from_config(args.config, args.checkpoint, device=device,
                                              batch_size=args.batch_size)
        proposer = None
        if args.proposals == 'rpn':
            proposer = RPNProposer.from_config(args.detector_config, args.detector_checkpoint, device=device,
                                               max_proposals=args.max_proposals or 100)
        elif args.proposals == 'panoptic':
            proposer = PanopticProposer.from_config(args.panoptic_config, args.panoptic_checkpoint, device=device,
                                                    max_proposals=args.max_proposals or 20)
        builder = SearchIndexBuilder(embedder, args.out_dir, args.proposals, proposer, args.shard_size,
                                     model_info=dict(config=args.config, checkpoint=args.checkpoint,
                                                     detector_config=args.detector_config,
                                                     detector_checkpoint=args.detector_checkpoint,
                                                     panoptic_config=args.panoptic_config,
                                                     panoptic_checkpoint=args.panoptic_checkpoint),
                                     index_kind=args.index_kind, progress=not args.no_progress and rank == 0)
        if rank == 0:
            builder.prepare(items, data_root)
        barrier()
        done = builder.build_shards(items, data_root, rank, world_size)
        barrier()
        if rank != 0:
            return 0
        manifest = builder.finalize()
    except (CollectionError, SearchIndexError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    counts = manifest['counts']
    print(f'{args.out_dir}: {counts["images"]} images, {counts["regions"]} regions, {counts["masks"]} masks in '
          f'{len(manifest["shards"])} shards ({done["written"]} written now, {done["resumed"]} resumed); '
          f'{counts["skipped"]} image(s) skipped' +
          ''.join(f'; {lv}: {info["kind"]}' for lv, info in manifest['levels'].items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
