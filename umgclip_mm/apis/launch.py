"""What tools/train.py and tools/test.py share: the config from the command line, and checks that fail before
anything is built (a missing checkpoint or data file), and CPU-only distributed runs; and tools/test.py's
``--show``, ``--show-dir`` and ``--out`` (painted and dumped predictions, as mmdet's and mmseg's test tools)."""
import argparse
import contextlib
import glob
import logging
import os
import os.path as osp
import sys
from typing import Iterator, List, Sequence, Tuple

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
    if getattr(args, 'amp', False) or getattr(args, 'fp32', False):
        cfg.optim_wrapper = set_precision(cfg.optim_wrapper, amp=bool(getattr(args, 'amp', False)))
    resume = getattr(args, 'resume', None)
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif resume:
        cfg.resume, cfg.load_from = True, resume
    return cfg


# Each optimizer wrapper and its counterpart in the other precision: the FSDP ones keep their global-norm clipping and
# sharded gradient scaler (a plain AmpOptimWrapper in place of FSDPAmpOptimWrapper would clip each rank's shard alone).
_AMP_OF = {'OptimWrapper': 'AmpOptimWrapper', 'umgclip_mm.FSDPOptimWrapper': 'umgclip_mm.FSDPAmpOptimWrapper'}
_FP32_OF = {amp: fp32 for fp32, amp in _AMP_OF.items()}


def set_precision(optim_wrapper: dict, amp: bool) -> dict:
    """``optim_wrapper`` with automatic mixed precision switched on (``tools/train.py --amp``) or off (``--fp32``,
    for the ``*-amp-*`` presets on a machine without a GPU, where ``AmpOptimWrapper`` refuses to run).

    ``OptimWrapper`` <-> ``AmpOptimWrapper`` and ``FSDPOptimWrapper`` <-> ``FSDPAmpOptimWrapper`` (with or without
    the ``umgclip_mm.`` scope); the optimizer, clipping, accumulation and parameter-wise settings are kept. Off drops
    ``dtype`` and ``loss_scale``; on adds ``loss_scale='dynamic'`` unless set. A wrapper already in the asked
    precision is returned unchanged; one of another type is refused by name, since which of its arguments belong to
    the precision is not known here.
    """
    wrapper = dict(optim_wrapper)
    kind = str(wrapper.get('type', 'OptimWrapper'))
    scoped = kind if '.' in kind or not kind.startswith('FSDP') else f'umgclip_mm.{kind}'
    table, other = (_AMP_OF, _FP32_OF) if amp else (_FP32_OF, _AMP_OF)
    if scoped in other:
        return wrapper
    if scoped not in table:
        raise ValueError(f'optim_wrapper.type={kind!r}: --{"amp" if amp else "fp32"} switches only '
                         f'{sorted(set(_AMP_OF) | set(_FP32_OF))}; set the precision in the config instead')
    wrapper['type'] = table[scoped]
    if amp:
        wrapper.setdefault('loss_scale', 'dynamic')
    else:
        wrapper.pop('dtype', None)
        wrapper.pop('loss_scale', None)
    return wrapper


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
    from umgclip_mm.utils.checkpoint import is_sharded_checkpoint
    for where, path in local_checkpoints(cfg, skip_init_cfg):
        # load_from (--resume) may be a sharded checkpoint's directory (FSDPStrategy(state_dict_cfg='sharded'))
        if not osp.isfile(osp.expanduser(path)) and not (where == 'load_from' and is_sharded_checkpoint(path)):
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


@contextlib.contextmanager
def refuse_unfit_checkpoint(runner) -> Iterator[None]:
    """While the block runs (``runner.train()`` / ``runner.test()``), a checkpoint the runner loads into its model
    (``load_from``, ``--resume``, tools/test.py's CHECKPOINT) that leaves the model at its initial weights raises
    :class:`~umgclip_mm.apis.exceptions.CheckpointMismatchError`, naming what the checkpoint is and the command
    that takes it (:func:`~umgclip_mm.utils.checkpoint_kind.mismatch_hint`), where mmengine's non-strict load
    would log the missing keys and go on with random weights: none of the model's weights loaded (a pretraining
    checkpoint given to a task config, a task checkpoint given to pretraining, unconverted CLIP weights), or a
    task checkpoint left a whole part of the model (its head) unloaded (a checkpoint of another task model).

    A load-state-dict post-hook on the model (mmengine's ``load_state_dict`` runs it with the missing keys), removed
    when the block ends; a model the runner has not built yet (mmengine's ``FlexibleRunner``) is not checked.
    A deliberate partial load (a detector started from a panoptic model's towers and pixel decoder, say) sets
    ``allow_partial_load=True`` in the config (``--cfg-options allow_partial_load=True``): the check is then off
    and the log says so, and mmengine's warning lists the missing keys as before.

    Args:
        runner (mmengine.runner.Runner): The built runner; its ``cfg.load_from`` names the checkpoint, its
            ``cfg.allow_partial_load`` turns the check off.
    """
    import torch
    from mmengine.model import is_model_wrapper

    from umgclip_mm.utils import load_checkpoint_file
    from umgclip_mm.utils.checkpoint_kind import checkpoint_kind, mismatch_hint, unfilled_parts
    from .exceptions import CheckpointMismatchError
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    if not isinstance(model, torch.nn.Module):
        yield
        return
    checkpoint = str(runner.cfg.get('load_from') or 'the checkpoint')
    if runner.cfg.get('allow_partial_load'):
        from mmengine.logging import print_log
        print_log('allow_partial_load=True: a checkpoint that leaves parts of the model at their initial weights is '
                  'loaded as it is (mmengine lists the missing keys)', logger='current')
        yield
        return

    def check(module, incompatible) -> None:
        parts = unfilled_parts(module, incompatible.missing_keys)
        if not parts or not osp.isfile(checkpoint):
            return
        ckpt = load_checkpoint_file(checkpoint)  # again, for its keys: only on the way to the error
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else {}
        if parts == ['']:
            what = f'none of the model\'s weights are in it ({len(incompatible.unexpected_keys)} unexpected keys)'
        elif checkpoint_kind(state) == 'task':
            what = f'it has no weights for the model\'s {", ".join(parts)}'
        else:
            return
        raise CheckpointMismatchError(f'{checkpoint} does not fit the model of the config '
                                      f'({type(module).__name__}): {what}, so they would stay random.\n'
                                      + mismatch_hint(module, state, checkpoint)
                                      + '\n(To load it as it is on purpose: --cfg-options allow_partial_load=True)')

    handle = model.register_load_state_dict_post_hook(check)
    try:
        yield
    finally:
        handle.remove()


def setup_cpu_distributed(cfg: Config) -> None:
    """Make distributed training work on a machine without CUDA (gloo), as tests and CI run it.

    mmengine's ``init_dist`` calls ``torch.cuda.set_device`` whatever the backend, and its default DDP wrapper passes
    ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU modules. So on CPU we join torchrun's group with gloo
    ourselves (the runner then skips its own init) and wrap with ``device_ids=None``, also under mmengine's
    ``FlexibleRunner`` with ``DDPStrategy``. GPUs are untouched.
    """
    import torch
    import torch.distributed as dist
    if torch.cuda.is_available():
        return
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    strategy = cfg.get('strategy')
    if cfg.get('runner_type') == 'FlexibleRunner' and isinstance(strategy, dict):
        # mmengine's DDPStrategy passes device_ids=[LOCAL_RANK] (umgclip_mm.FSDPStrategy sees to its own device)
        if str(strategy.get('type', '')).split('.')[-1] == 'DDPStrategy':
            strategy['model_wrapper'] = strategy.get('model_wrapper') or {}
            strategy['model_wrapper'].update(device_ids=None, broadcast_buffers=False)
        return
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
            is_glob = any(c in str(path) for c in '*?[')  # UMGDataset's ann_files: one match is enough
            if '://' in str(path) or osp.exists(path) or (is_glob and glob.glob(path)):
                continue
            kind = str(dataset.get('type', '')).split('.')[-1]
            hint = DATA_HINTS.get(kind, 'point data_root at your copy')
            raise FileNotFoundError(f'{name}.dataset ({dataset.get("type")}) needs {path}, which does not exist: '
                                    f'{hint}, or override the path with --cfg-options {name}.dataset.data_root=DIR')


def display_available() -> bool:
    """Whether a window can be opened here: not on Linux without ``DISPLAY``/``WAYLAND_DISPLAY`` (a server, a
    container, ssh without X forwarding), nor when matplotlib is told to draw off-screen (``MPLBACKEND=agg``)."""
    if sys.platform.startswith('linux') and not (os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY')):
        return False
    return os.environ.get('MPLBACKEND', '').lower() not in ('agg', 'pdf', 'ps', 'svg', 'cairo', 'template')


def _iou_metrics(cfg: Config) -> list:
    """The test metrics (config dicts) that are mmseg ``IoUMetric``s: a semantic segmentation evaluation."""
    evaluator = cfg.get('test_evaluator') or []
    metrics = evaluator if isinstance(evaluator, list) else evaluator.get('metrics', [evaluator])
    return [m for m in metrics if isinstance(m, dict) and str(m.get('type', '')).endswith('IoUMetric')]


def _seg_hook(cfg: Config) -> bool:
    """Whether the config's visualization hook is mmseg's (which draws through the visualizer's backends)."""
    hook = (cfg.get('default_hooks') or {}).get('visualization') or {}
    return str(hook.get('type', '')).endswith('SegVisualizationHook')


def apply_test_outputs(cfg: Config, args: argparse.Namespace) -> None:
    """Apply ``tools/test.py``'s ``--show``, ``--show-dir``, ``--wait-time`` and ``--out`` to the config, as
    mmdet's and mmseg's ``tools/test.py`` do (the configs carry the visualizer and the hook: the runtime fragments
    ``configs/_base_/det_runtime.py`` and ``seg_runtime.py``).

    * ``--show`` / ``--show-dir``: turn on ``default_hooks.visualization`` (``draw=True``). mmdet's
      ``DetVisualizationHook`` writes ``DIR/<image file name>``, a relative ``DIR`` under
      ``WORK_DIR/<timestamp>/``; mmseg's ``SegVisualizationHook`` draws through the visualizer, whose
      ``LocalVisBackend`` writes ``DIR/vis_data/vis_image/test_<image file name>_<iter>.png``. Without a display
      ``--show`` is dropped with a warning (the run goes on) instead of failing in matplotlib.
    * ``--out``: a semantic segmentation evaluation (an mmseg ``IoUMetric``, whichever toolbox runs the config):
      the metric's ``output_dir``, one 8-bit PNG of class indices per image, as mmseg's ``tools/test.py``; any
      other: a pickle, appended to the built runner by :func:`prepare_test_runner`, as mmdet's.

    Raises:
        RuntimeError: ``--show``/``--show-dir`` on a config without ``default_hooks.visualization``.
        ValueError: ``--out`` is not a ``.pkl`` file where a pickle is written, or is one where a folder is.
    """
    from mmengine.logging import print_log
    show, show_dir, out = getattr(args, 'show', False), getattr(args, 'show_dir', None), getattr(args, 'out', None)
    if show and not display_available():
        print_log('--show: there is no display here (DISPLAY is not set, or matplotlib draws off-screen), so no '
                  'window can show the predictions; going on without --show. Save them as images with '
                  '--show-dir DIR instead.', logger='current', level=logging.WARNING)
        show = args.show = False
    if out:
        is_pickle, semantic = out.endswith(('.pkl', '.pickle')), _iou_metrics(cfg)
        if semantic and is_pickle:
            raise ValueError(f'--out {out}: a semantic segmentation test writes its predictions as mmseg does, one '
                             f'label PNG per image into a folder: give a folder, not a .pkl file')
        if not semantic and not is_pickle:
            raise ValueError(f'--out {out}: the predictions are dumped to a pickle file: give a .pkl path')
        for metric in semantic:
            metric['output_dir'] = out
            metric['keep_results'] = True  # what mmseg's tools/test.py sets (IoUMetric takes and ignores it)
    if not (show or show_dir):
        return
    hook = (cfg.get('default_hooks') or {}).get('visualization')
    if hook is None:
        raise RuntimeError('--show/--show-dir draw with default_hooks.visualization, which this config lacks: '
                           'inherit configs/_base_/det_runtime.py (mmdet) or seg_runtime.py (mmseg), or add '
                           'the hook with --cfg-options')
    hook['draw'] = True
    if show:
        hook['show'], hook['wait_time'] = True, getattr(args, 'wait_time', 2.0)
    if _seg_hook(cfg):
        # SegVisualizationHook steps its images by runner.iter, which builds the training loop (and loads the
        # training set, which may not be on this machine) of a config that has one: a test does not train
        cfg.train_dataloader = cfg.train_cfg = cfg.optim_wrapper = cfg.param_scheduler = None
        if show and show_dir:
            print_log('--show with --show-dir: mmseg\'s SegVisualizationHook saves nothing while it shows (it drops '
                      'the visualizer\'s backends): the images are shown, not saved; run without --show to save '
                      'them', logger='current', level=logging.WARNING)
        if show_dir:
            cfg.setdefault('visualizer', dict(type='umgclip_mm.OVSegLocalVisualizer',
                                              vis_backends=[dict(type='LocalVisBackend')]))
            cfg.visualizer['save_dir'] = show_dir
    elif show_dir:
        hook['test_out_dir'] = show_dir


def prepare_test_runner(runner, args: argparse.Namespace) -> None:
    """The part of :func:`apply_test_outputs` that needs the built runner: ``--out FILE.pkl`` appends mmdet's
    ``DumpDetResults`` (masks as RLE; mmdet scope) or mmengine's ``DumpResults`` to the test metrics, as mmdet's
    ``tools/test.py`` does; a label PNG ``--out`` warns when the classes overflow its 8 bits; and the log says
    where ``--show-dir`` puts the painted images."""
    from mmengine.logging import print_log
    out, show_dir = getattr(args, 'out', None), getattr(args, 'show_dir', None)
    if out and out.endswith(('.pkl', '.pickle')):
        if runner.cfg.get('default_scope') == 'mmdet':
            from mmdet.evaluation import DumpDetResults as Dump
        else:
            from mmengine.evaluator import DumpResults as Dump
        runner.test_evaluator.metrics.append(Dump(out_file_path=out))
    elif out:
        classes = runner.test_dataloader.dataset.metainfo.get('classes') or ()
        if len(classes) > 256:
            print_log(f'--out {out}: the label PNGs are 8-bit (mmseg\'s IoUMetric writes them so), and this data '
                      f'set has {len(classes)} classes: class indices above 255 wrap around in them',
                      logger='current', level=logging.WARNING)
    if show_dir:
        where = osp.join(show_dir, 'vis_data', 'vis_image') if _seg_hook(runner.cfg) else osp.join(
            runner.work_dir, runner.timestamp, show_dir)
        print_log(f'--show-dir: the painted test images go to {where}', logger='current')
