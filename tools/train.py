#!/usr/bin/env python
"""Train a umgclip_mm config with mmengine's Runner (single process, or one process per GPU under torchrun).

Works for every config of the project, whatever its default scope (umgclip_mm, mmdet, mmseg, mmpretrain).

Examples:
    python tools/train.py configs/quickstart/clip_smoke.py
    python tools/train.py configs/umgclip/panoptic_coco.py --amp --resume
    bash tools/dist_train.sh configs/umgclip/panoptic_coco.py 8
"""
import argparse
import os
import os.path as osp
import sys

# Allow `python tools/train.py` from a source checkout without installing the package.
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go (default: work_dirs/<config name>)')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (AmpOptimWrapper)')
    parser.add_argument('--resume', nargs='?', const='auto', metavar='CHECKPOINT',
                        help='resume from CHECKPOINT, or from the latest one in the work dir if no path is given')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='override config entries, e.g. train_cfg.max_iters=10')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher (tools/dist_train.sh uses pytorch)')
    # torch.distributed.launch passes --local-rank (new) or --local_rank (old); torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    args = parse_args(argv)
    import umgclip_mm  # noqa: F401  (registers the checkpoint allow-list before any resume)
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    from umgclip_mm.apis.launch import build_config, check_checkpoints_exist, check_data_exist, setup_cpu_distributed
    cfg = build_config(args)
    check_checkpoints_exist(cfg)
    check_data_exist(cfg, ['train_dataloader'] + (['val_dataloader'] if cfg.get('val_cfg') else []))
    if args.launcher != 'none':
        setup_cpu_distributed(cfg)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
