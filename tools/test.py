#!/usr/bin/env python
r"""Evaluate a checkpoint on a config's test set with mmengine's Runner (single process, or under torchrun).

Examples:
    python tools/test.py configs/quickstart/panoptic_synthetic.py work_dirs/quickstart_panoptic/iter_1000.pth
    python tools/test.py configs/ov_mask2former/ov-mask2former_umgclip-vit-b16_8xb2-lsj-50e_coco2ade20k-panoptic.py \
        work_dirs/panoptic_coco/iter_368750.pth
    python tools/test.py CONFIG CKPT --cfg-options model.ensemble=None   # the ensemble off
    python tools/test.py CONFIG CKPT --show-dir vis --out results.pkl     # painted images, dumped predictions

--show, --show-dir and --out work as in mmdet's tools/test.py for the mmdet configs (detection, panoptic and the
panoptic model's semantic read-out) and as in mmseg's for the mmseg ones (semantic segmentation); --out of a
semantic segmentation test (the panoptic model's too) writes label PNGs, as mmseg's.
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

from mmengine.config import DictAction  # mmengine.config imports no torch: --help stays instant


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint to evaluate (loaded weights-only)')
    parser.add_argument('--work-dir', help='where logs and results go (default: work_dirs/<config name>)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help='override config entries, e.g. model.ensemble=None')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher (as tools/train.py)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument('--out', metavar='FILE|DIR',
                        help='dump the predictions: detection and panoptic configs: to a pickle FILE (.pkl; '
                             'mmdet\'s DumpDetResults: masks as RLE, panoptic maps as they are); semantic '
                             'segmentation configs (an IoUMetric): into DIR, one 8-bit PNG of class indices per '
                             'image (mmseg\'s IoUMetric output_dir)')
    parser.add_argument('--show', action='store_true',
                        help='show each image painted with ground truth and prediction in a window (needs a '
                             'display: without one it warns and goes on; use --show-dir). mmseg configs save '
                             'nothing while they show: --show-dir then writes no images')
    parser.add_argument('--show-dir', metavar='DIR',
                        help='save each test image painted with ground truth (left) and prediction (right). mmdet '
                             'configs: DIR/<image file name>, a relative DIR under WORK_DIR/<timestamp>/; mmseg '
                             'configs: DIR/vis_data/vis_image/test_<image file name>_<iter>.png')
    parser.add_argument('--wait-time', type=float, default=2, metavar='SECONDS',
                        help='with --show: how long each image stays up (0: until a key is pressed; default 2)')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))  # torchrun sets it; torch.distributed.launch passes it
    return args


def main(argv: Optional[List[str]] = None) -> None:
    """Evaluate; a missing checkpoint, or one that does not fit the config's model, ends the run with its message
    (exit status 1)."""
    args = parse_args(argv)
    import umgclip_mm  # noqa: F401  (registers the checkpoint allow-list)
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    from umgclip_mm.apis.exceptions import CheckpointMismatchError
    from umgclip_mm.apis.launch import (apply_test_outputs, build_config, check_checkpoints_exist, check_data_exist,
                                        prepare_test_runner, refuse_unfit_checkpoint, setup_cpu_distributed)
    cfg = build_config(args)
    apply_test_outputs(cfg, args)  # --show, --show-dir, --out
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint {args.checkpoint} does not exist: give the .pth file tools/train.py wrote')
    cfg.load_from = args.checkpoint
    # the checkpoint holds every weight: a Pretrained init of a part is not needed (and may not be on this machine)
    check_checkpoints_exist(cfg, skip_init_cfg=True)
    check_data_exist(cfg, ['test_dataloader'])
    if args.launcher != 'none':
        setup_cpu_distributed(cfg)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    prepare_test_runner(runner, args)
    try:
        with refuse_unfit_checkpoint(runner):  # a checkpoint of another kind: named, with the command that takes it
            runner.test()
    except CheckpointMismatchError as err:
        raise SystemExit(str(err))


if __name__ == '__main__':
    main()
