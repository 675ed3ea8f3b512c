#!/usr/bin/env python
"""Generate the toy data set (the embedded default): UMG JSON-lines, COCO panoptic, COCO instances (the things) and
semantic maps of the same deterministic scenes, with a seen/unseen vocabulary split. See
umgclip_mm/datasets/toy_world.py.

Example:
    python tools/dataset_converters/make_synthetic.py data/synthetic --num-train 2000 --num-val 100 --size 128
"""
import argparse
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', help='output folder')
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-val', type=int, default=100)
    parser.add_argument('--size', type=int, default=128, help='image side in pixels')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    from mmengine.utils import ProgressBar

    from umgclip_mm.datasets import toy_world
    t0 = time.time()
    # progress on stderr, a tick per scene: generate() makes every scene with toy_world.make_scene
    bar, make_scene = ProgressBar(args.num_train + args.num_val, file=sys.stderr), toy_world.make_scene

    def make_scene_ticking(*scene_args, **kwargs):
        scene = make_scene(*scene_args, **kwargs)
        bar.update()
        return scene

    toy_world.make_scene = make_scene_ticking
    try:
        summary = toy_world.generate(args.out, args.num_train, args.num_val, args.size, args.seed)
    finally:
        toy_world.make_scene = make_scene
    sys.stderr.write('\n')
    print(f"wrote {args.out} in {time.time() - t0:.1f}s: train {summary['train']}, val {summary['val']}")


if __name__ == '__main__':
    main()
