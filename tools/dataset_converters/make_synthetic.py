#!/usr/bin/env python
"""Generate the toy data set (the embedded default): UMG JSON-lines, COCO panoptic, COCO instances (the things) and
semantic maps of the same deterministic scenes, with a seen/unseen vocabulary split. See
umgclip_mm/datasets/toy_world.py.

Example:
    python tools/dataset_converters/make_synthetic.py data/synthetic --num-train 2000 --num-val 100 --size 128
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', help='output folder')
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-val', type=int, default=100)
    parser.add_argument('--size', type=int, default=128, help='image side in pixels')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    from umgclip_mm.datasets.toy_world import generate
    t0 = time.time()
    summary = generate(args.out, args.num_train, args.num_val, args.size, args.seed)
    print(f"wrote {args.out} in {time.time() - t0:.1f}s: train {summary['train']}, val {summary['val']}")


if __name__ == '__main__':
    main()
