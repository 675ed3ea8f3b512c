#!/usr/bin/env python
"""Train a umgclip_mm config with mmengine's Runner (single process, or one process per GPU under torchrun).

Works for every config of the project, whatever its default scope (umgclip_mm, mmdet, mmseg, mmpretrain).

Examples:
    python tools/dataset_converters/make_synthetic.py data/synthetic
    python tools/train.py configs/quickstart/pretrain_synthetic.py
    python tools/train.py configs/umgclip/panoptic_coco.py --amp --resume
    python tools/train.py configs/umgclip/umgclip_vit-b16_8xb256-amp-20k_umg41m.py --fp32   # no GPU
    bash tools/dist_train.sh configs/umgclip/panoptic_coco.py 8
"""
import argparse
import os
from typing import List, Optional

from mmengine.config import DictAction  # mmengine.config imports no torch: --help stays instant


def launch_parser(description: str) -> argparse.ArgumentParser:
    """The launch arguments (tools/test.py has the same): the config, ``--work-dir``, ``--cfg-options``,
    ``--launcher`` and ``--local-rank`` (which ``torch.distributed.launch`` passes, also as ``--local_rank``)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go (default: work_dirs/<config name>)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help='override config entries, e.g. train_cfg.max_iters=10 model.ensemble=None')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher (tools/dist_train.sh uses pytorch)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)
    return parser


def parse_launch_args(parser: argparse.ArgumentParser, argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse ``argv`` and export ``LOCAL_RANK`` (torchrun sets it; ``torch.distributed.launch`` passes it)."""
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = launch_parser(__doc__)
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument('--amp', action='store_true',
                           help='automatic mixed precision (AmpOptimWrapper; FSDPAmpOptimWrapper for FSDP configs)')
    precision.add_argument('--fp32', action='store_true',
                           help='train an *-amp-* config in float32 (OptimWrapper / FSDPOptimWrapper), e.g. on a '
                           'CPU, where AmpOptimWrapper refuses to run')
    parser.add_argument('--resume', nargs='?', const='auto', metavar='CHECKPOINT',
                        help='resume from CHECKPOINT, or from the latest one in the work dir if no path is given '
                        '(the one before it, with a warning, if the latest is empty or truncated)')
    return parse_launch_args(parser, argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    import umgclip_mm  # noqa: F401  (registers the checkpoint allow-list before any resume)
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    from umgclip_mm.apis.exceptions import CheckpointMismatchError
    from umgclip_mm.apis.launch import (build_config, check_checkpoints_exist, check_data_exist,
                                        refuse_unfit_checkpoint, setup_cpu_distributed)
    from umgclip_mm.utils.checkpoint import resume_checkpoint
    cfg = build_config(args)
    if args.resume == 'auto':  # the latest whole checkpoint of the work dir (None: none saved yet, start afresh)
        cfg.load_from = resume_checkpoint(cfg.work_dir)
    check_checkpoints_exist(cfg)
    check_data_exist(cfg, ['train_dataloader'] + (['val_dataloader'] if cfg.get('val_cfg') else []))
    if args.launcher != 'none':
        setup_cpu_distributed(cfg)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    try:
        with refuse_unfit_checkpoint(runner):  # load_from / --resume of another kind: named, with its command
            runner.train()
    except CheckpointMismatchError as err:
        raise SystemExit(str(err))


if __name__ == '__main__':
    main()
