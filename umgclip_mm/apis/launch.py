"""What tools/train.py and tools/test.py share: the config from the command line, and checks that fail before
anything is built (a missing checkpoint or data file), and CPU-only distributed runs."""
import argparse
import os.path as osp
from typing import List, Sequence, Tuple

from mmengine.config import Config

# Where to get the data a data set type reads, named in the error when its files are missing.
DATA_HINTS = {
    'CocoPanopticDataset': 'download COCO 2017 images and "2017 Panoptic Train/Val annotations" from '
                           'https://cocodataset.org/#download and unzip the panoptic PNG archives next to their json',
    'OVCocoPanopticDataset': 'for the toy world run python tools/dataset_converters/make_synthetic.py data/synthetic; '
                             'for COCO see CocoPanopticDataset',
    'ADE20KPanopticDataset': 'download ADEChallengeData2016 and convert it with mmdet\'s '
                             'tools/dataset_converters/ade20k2coco.py',
    'UMGDataset': 'for the toy world run python tools/dataset_converters/make_synthetic.py data/synthetic; for COCO '
                  'run tools/dataset_converters/coco2umg.py; see docs/data_format.md',
}


def build_config(args: argparse.Namespace) -> Config:
    """Load the config and apply the command line (``tools/train.py`` / ``tools/test.py`` arguments) to it."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:  # already a dict: the parsers use mmengine's DictAction
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    if getattr(args, 'amp', False):
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    resume = getattr(args, 'resume', None)
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif resume:
        cfg.resume, cfg.load_from = True, resume
    return cfg


def local_checkpoints(cfg: Config, skip_init_cfg: bool = False) -> List[Tuple[str, str]]:
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

    if not skip_init_cfg:
        walk(cfg.get('model', {}), 'model')
    return found


def check_checkpoints_exist(cfg: Config, skip_init_cfg: bool = False) -> None:
    """Fail before building anything when a checkpoint the config names is not on disk (``skip_init_cfg``: only
    ``load_from``, for testing, where the runner never runs ``init_weights``)."""
    for where, path in local_checkpoints(cfg, skip_init_cfg):
        if not osp.isfile(osp.expanduser(path)):
            name = osp.basename(str(path))
            if 'work_dirs' in str(path):
                how = ('it is written by an earlier training run (the config\'s header names it; for the '
                       'quickstarts: make quickstart)')
            elif name.startswith('umgclip_'):
                how = ('it holds UMG-CLIP pretrained weights: pretrain them with the matching config in '
                       'configs/umgclip/ (its README), or start from converted published CLIP weights with '
                       '--cfg-options model.clip.init_cfg.checkpoint=checkpoints/clip_<tower>_<data>.pth (made by '
                       'tools/model_converters/clip2umgclip.py)')
            else:
                how = (f'convert published CLIP weights with: python tools/model_converters/clip2umgclip.py SRC '
                       f'{path} (SRC: an OpenAI/open_clip/EVA-CLIP file or a Hugging Face CLIPModel folder)')
            raise FileNotFoundError(f'{where} names the checkpoint {path!r}, which does not exist: {how}; or '
                                    f'override the path with --cfg-options.')


def setup_cpu_distributed(cfg: Config) -> None:
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


def check_data_exist(cfg: Config, loaders: Sequence[str] = ('train_dataloader', 'val_dataloader')) -> None:
    """Fail before building anything when an annotation file or data root a data loader names is missing."""
    for name in loaders:
        dataset = (cfg.get(name) or {}).get('dataset')
        if not dataset:
            continue
        root = dataset.get('data_root') or ''
        files = dataset.get('ann_file') or dataset.get('ann_files') or []
        files = [files] if isinstance(files, str) else list(files)
        paths = [osp.join(root, f) for f in files] if files else ([root] if root else [])
        for path in paths:
            if '://' in str(path) or osp.exists(path):
                continue
            kind = str(dataset.get('type', '')).split('.')[-1]
            hint = DATA_HINTS.get(kind, 'point data_root at your copy')
            raise FileNotFoundError(f'{name}.dataset ({dataset.get("type")}) needs {path}, which does not exist: '
                                    f'{hint}, or override the path with --cfg-options {name}.dataset.data_root=DIR')
