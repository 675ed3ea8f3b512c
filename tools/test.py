#!/usr/bin/env python
"""Evaluate a checkpoint on a config's test set with mmengine's Runner (single process, or under torchrun).

Examples:
    python tools/test.py configs/quickstart/panoptic_synthetic.py work_dirs/panoptic_synthetic/iter_1000.pth
    python tools/test.py configs/umgclip/panoptic_coco_to_ade20k.py work_dirs/panoptic_coco/iter_368750.pth
    python tools/test.py CONFIG CKPT --cfg-options model.ensemble=None   # out-of-vocabulary branch off
"""
import argparse
import os
import os.path as osp
import sys

# Allow `python tools/test.py` from a source checkout without installing the package.
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint to evaluate (loaded weights-only)')
    parser.add_argument('--work-dir', help='where logs go (default: work_dirs/<config name>)')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='override config entries, e.g. model.ensemble=None')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    args = parse_args(argv)
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    import umgclip_mm  # noqa: F401  (registers the checkpoint allow-list)
    from umgclip_mm.apis.launch import build_config, check_checkpoints_exist, check_data_exist, setup_cpu_distributed
    cfg = build_config(args)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    cfg.load_from = args.checkpoint
    # the checkpoint holds every weight: a Pretrained init of a part is not needed (and may not be on this machine)
    check_checkpoints_exist(cfg, skip_init_cfg=True)
    check_data_exist(cfg, ['test_dataloader'])
    if args.launcher != 'none':
        setup_cpu_distributed(cfg)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    runner.test()


if __name__ == '__main__':
    main()
