#!/usr/bin/env python
r"""Turn a sharded checkpoint into the ordinary weights-only checkpoint file that task configs load.

A sharded checkpoint is the directory that FSDP training writes with ``strategy.state_dict_cfg='sharded'`` (the
E/14 preset's default: `work_dirs/<config>/iter_<N>/`, every rank's shard of the weights and of AdamW's moments in
torch.distributed.checkpoint's format). This reads its weights one tensor at a time (nothing beyond the output is
held but the tensor being read; no GPU or process group needed), leaves the optimizer state out, and writes
``{'state_dict': ..., 'meta': ...}`` with the unwrapped model's names: what ``load_from``, ``init_cfg=dict(
type='Pretrained', checkpoint=OUT)`` and the tools read. The directory must be whole (a save or copy that did not
finish is refused, naming the missing or cut shard).

Examples:
    python tools/model_converters/consolidate_checkpoint.py \
        work_dirs/umgclip_eva02-e14_16xb128-fsdp-amp-20k_umg41m/iter_20000 checkpoints/umgclip_eva02-e14.pth
"""
import argparse
import os.path as osp
import sys
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help="sharded checkpoint directory (FSDP training with state_dict_cfg='sharded')")
    parser.add_argument('dst', help='output checkpoint file (.pth), weights only')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from umgclip_mm.engine.fsdp_checkpoint import consolidate_sharded_checkpoint
    from umgclip_mm.utils.checkpoint import UnsafeCheckpointError, is_sharded_checkpoint
    if not is_sharded_checkpoint(args.src):
        print(f'{args.src} is no sharded checkpoint directory (no .metadata or meta.pth in it): give the iter_<N> '
              "directory that training with strategy.state_dict_cfg='sharded' wrote", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        names = consolidate_sharded_checkpoint(args.src, args.dst)
    except (ValueError, UnsafeCheckpointError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'{args.src} -> {args.dst}: {len(names)} tensors, {osp.getsize(args.dst) / 2**20:.1f} MiB, '
          f'{time.perf_counter() - start:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
