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


def build_config(args):
    """Load the config and apply the command line to it."""
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        options = argparse.Namespace()
        DictAction(option_strings=[], dest='opts')(None, options, args.cfg_options)
        cfg.merge_from_dict(options.opts)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume:
        cfg.resume, cfg.load_from = True, args.resume
    return cfg


def local_checkpoints(cfg):
    """``(where, path)`` of every local checkpoint the config will load: ``load_from`` and ``Pretrained``
    ``init_cfg`` entries anywhere in the model."""
    found = []
    if cfg.get('load_from') and '://' not in str(cfg.load_from):
        found.append(('load_from', cfg.load_from))

    def walk(node, where):
        if isinstance(node, dict):
            init = node.get('init_cfg')
            for item in init if isinstance(init, list) else [init]:
                if isinstance(item, dict) and item.get('type') == 'Pretrained' and item.get('checkpoint') \
                        and '://' not in str(item['checkpoint']):
                    found.append((f'{where}.init_cfg', item['checkpoint']))
            for key, value in node.items():
                walk(value, f'{where}.{key}')
        elif isinstance(node, (list, tuple)):
            for i, value in enumerate(node):
                walk(value, f'{where}[{i}]')

    walk(cfg.get('model', {}), 'model')
    return found


def check_checkpoints_exist(cfg):
    """Fail before building anything when a checkpoint the config names is not on disk."""
    for where, path in local_checkpoints(cfg):
        if not osp.isfile(osp.expanduser(path)):
            raise FileNotFoundError(
                f'{where} names the checkpoint {path!r}, which does not exist. Convert published CLIP weights '
                f'with: python tools/model_converters/clip2umgclip.py SRC {path} (SRC: an OpenAI/open_clip file or '
                f'a Hugging Face CLIPModel folder), or override the path with --cfg-options.')


def setup_cpu_distributed(cfg):
    """Make distributed training work on a machine without CUDA (gloo), as tests and CI run it.

    mmengine's ``init_dist`` calls ``torch.cuda.set_device`` whatever the backend, and its default DDP wrapper passes
    ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU modules. So on CPU we join torchrun's group with gloo
    ourselves (the runner then skips its own init) and wrap with ``device_ids=None``. GPUs are untouched.
    """
    import torch
    import torch.distributed as dist
    if torch.cuda.is_available():
        return
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False,
                                     find_unused_parameters=cfg.get('find_unused_parameters', False))


def main(argv=None):
    args = parse_args(argv)
    import umgclip_mm  # noqa: F401  (registers the checkpoint allow-list before any resume)
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    cfg = build_config(args)
    check_checkpoints_exist(cfg)
    if args.launcher != 'none':
        setup_cpu_distributed(cfg)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
