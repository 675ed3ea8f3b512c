"""The one model loader, :func:`init_model`: a config (file, ``Config`` or dict), optionally set up for a task, with
a checkpoint's weights (weights-only unpickling, strict), in eval mode. Every inferencer, demo and tool loads through
it; errors are the typed ones of :mod:`umgclip_mm.apis.exceptions`."""
import copy
import inspect
import logging
import os.path as osp
import pickle
from typing import List, Optional, Union

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_state_dict

from umgclip_mm.registry import MODELS

from .exceptions import CheckpointError, CheckpointMismatchError, InputError, MissingFileError, TaskError

#: What each task needs of a model, for the messages: (what it outputs, the models that do it, the demo of others).
TASKS = {
    'semseg': ('semantic segmentation (pred_sem_seg)',
               'umgclip_mm.OVEncoderDecoder, umgclip_mm.ZeroShotSegmentor or umgclip_mm.OVMask2Former '
               '(e.g. configs/quickstart/semseg_synthetic.py)', 'tools/demo/ov_detection.py'),
    'detection': ('detection (pred_instances)',
                  'umgclip_mm.OVTwoStageDetector or umgclip_mm.OVMask2Former (e.g. '
                  'configs/quickstart/detection_synthetic.py)', 'tools/demo/ov_semseg.py'),
    'panoptic': ('panoptic segmentation (pred_panoptic_seg)',
                 'umgclip_mm.OVMask2Former (e.g. configs/quickstart/panoptic_synthetic.py)',
                 'tools/demo/ov_semseg.py or tools/demo/ov_detection.py'),
}


def load_model_weights(model: torch.nn.Module, checkpoint: str, strict: bool = True) -> None:
    """Load the ``state_dict`` of a checkpoint file into ``model`` (weights-only unpickling, then mmengine's
    ``load_state_dict``).

    Args:
        model (nn.Module): The model.
        checkpoint (str): Path of an mmengine checkpoint (``{'state_dict': ...}``) or of a bare state dict.
        strict (bool): Refuse missing, unexpected or mis-shaped keys, listing them (else log them and load the
            rest).

    Raises:
        MissingFileError: ``checkpoint`` does not exist.
        CheckpointError: It is no PyTorch checkpoint, or empty, truncated or unsafe to unpickle.
        CheckpointMismatchError: Its keys do not fit ``model`` (missing, unexpected and mis-shaped keys listed).
    """
    from umgclip_mm.utils import load_checkpoint_file
    if not osp.isfile(checkpoint):
        raise MissingFileError(f'checkpoint {checkpoint} does not exist: give the trained weights of the config\'s '
                               f'model (tools/train.py CONFIG writes work_dirs/<config name>/iter_*.pth)')
    try:
        ckpt = load_checkpoint_file(checkpoint)
    except (ValueError, pickle.UnpicklingError, EOFError, RuntimeError) as err:
        kind = 'is not a PyTorch checkpoint' if 'not a PyTorch checkpoint' in str(err) else 'cannot be loaded'
        raise CheckpointError(f'checkpoint {checkpoint} {kind}: {err}; give a .pth file written by tools/train.py '
                              f'or a converter in tools/model_converters') from err
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise CheckpointError(f'checkpoint {checkpoint} holds no state dict (found {type(ckpt).__name__})')
    try:
        load_state_dict(model, state, strict=strict, logger='current')
    except RuntimeError as err:
        # mmengine's message: a header, one line per mis-shaped key, one line listing the unexpected keys and one
        # the missing keys. Keep the key lists and six mis-shaped keys, each line cut at 300 characters.
        lines = [line for line in str(err).splitlines()[1:] if line]
        shapes = [line for line in lines if line.startswith('size mismatch')]
        shown = [line for line in lines if line not in shapes] + shapes[:6]
        shown = [line if len(line) <= 300 else line[:300] + ' ...' for line in shown]
        more = f'\n({len(shapes) - 6} more size mismatches)' if len(shapes) > 6 else ''
        from umgclip_mm.utils.checkpoint_kind import mismatch_hint
        hint = '\n' + mismatch_hint(model, state, checkpoint)  # what the checkpoint is, and the command for it
        raise CheckpointMismatchError(f'{checkpoint} does not match the model of the config:\n' + '\n'.join(shown) +
                                      more + hint) from err


def model_class(cfg: Config):
    """The class a config's ``model.type`` names (in the config's default scope), or ``None``."""
    init_default_scope(cfg.get('default_scope', 'umgclip_mm'))
    model_type = cfg.model.get('type')
    return model_type if inspect.isclass(model_type) else MODELS.get(model_type)


def prepare_task_config(cfg: Config, task: str, ensemble: bool = True, num_classes: Optional[int] = None) -> List[str]:
    """Set a config's model up for ``task`` (``'semseg'``, ``'detection'`` or ``'panoptic'``), in place: every
    weight from the checkpoint (``model.clip.init_cfg=None``), the ensemble off if ``ensemble`` is
    false, and :class:`OVMask2Former`'s output switched to the task (semantic, instance or panoptic results only).

    Args:
        cfg (Config): The config, changed in place.
        task (str): ``'semseg'``, ``'detection'`` or ``'panoptic'`` (:data:`TASKS`).
        ensemble (bool): Keep the ensemble.
        num_classes (int, optional): Size of the vocabulary (:class:`OVMask2Former`'s instance output keeps at most
            queries x classes masks; mmdet's ``max_per_image`` is capped to that).

    Returns:
        list[str]: Notes for the user (e.g. a model without the branch that ``ensemble=False`` turns off).

    Raises:
        TaskError: The model cannot do ``task`` with a free vocabulary (the message names the models that can).
    """
    from mmdet.models.detectors import MaskFormer
    from mmdet.models.detectors.base import BaseDetector
    from mmseg.models.segmentors.base import BaseSegmentor

    from umgclip_mm.models.open_vocab import OpenVocabMixin
    if task not in TASKS:
        raise TaskError(f'task {task!r}: use one of {", ".join(TASKS)}')
    what, models, other = TASKS[task]
    cls = model_class(cfg)
    name = getattr(cls, '__name__', cfg.model.get('type'))
    if cls is None or not issubclass(cls, OpenVocabMixin):
        raise TaskError(f'the model of the config ({name}) is not an open-vocabulary task model of umgclip_mm; '
                        f'{task} needs one of {models}')
    if task == 'panoptic' and not issubclass(cls, MaskFormer):
        raise TaskError(f'the model of the config ({name}) does not do {what}: it needs {models}; for the model of '
                        f'this config use {other}')
    if issubclass(cls, MaskFormer):  # OVMask2Former: the task's results only
        test_cfg = dict(cfg.model.get('test_cfg') or {}, panoptic_on=task == 'panoptic', semantic_on=task == 'semseg',
                        instance_on=task == 'detection')
        if task == 'detection' and num_classes:
            queries = (cfg.model.get('panoptic_head') or {}).get('num_queries', 100)
            test_cfg['max_per_image'] = min(test_cfg.get('max_per_image', 100), queries * num_classes)
        cfg.model.test_cfg = test_cfg
    elif not issubclass(cls, BaseSegmentor if task == 'semseg' else BaseDetector):
        raise TaskError(f'the model of the config ({name}) does not do {what}: it needs one of {models}; for the '
                        f'model of this config use {other}')
    if cfg.model.get('clip') is not None:
        cfg.model.clip.init_cfg = None  # every weight comes from the checkpoint
    notes = []
    if not ensemble:
        if 'ensemble' in inspect.signature(cls.__init__).parameters:
            cfg.model.ensemble = None
        else:
            notes.append(f'--no-ensemble: {name} has no ensemble; nothing to turn off')
    return notes


def load_config(config: Union[str, Config, dict], cfg_options: Optional[dict] = None) -> Config:
    """A copy of ``config`` (a file, a ``Config`` or a dict) with ``cfg_options`` merged.

    Raises:
        MissingFileError: The config file does not exist.
    """
    if isinstance(config, str):
        if not osp.isfile(config):
            raise MissingFileError(f'config {config} does not exist: give the model\'s config file (toy ones are '
                                   f'in configs/quickstart/)')
        config = Config.fromfile(config)
    elif isinstance(config, Config):
        config = copy.deepcopy(config)
    else:
        config = Config(copy.deepcopy(dict(config)))
    if cfg_options:
        config.merge_from_dict(cfg_options)
    return config


def init_model(config: Union[str, Config, dict],
               checkpoint: Optional[str] = None,
               task: Optional[str] = None,
               cfg_options: Optional[dict] = None,
               device: Union[str, torch.device] = 'cpu') -> torch.nn.Module:
    """Build the model of a config, set it up for ``task``, load a checkpoint into it, and return it in eval mode.

    Args:
        config (str | Config | dict): Config file path or object; its ``model`` entry is built (a copy: the given
            object is not changed).
        checkpoint (str, optional): Checkpoint path (loaded weights-only and strictly: :func:`load_model_weights`).
            ``None`` keeps the random (or ``init_cfg``) weights; mmengine's per-parameter initialisation report is
            not logged then (warnings still are).
        task (str, optional): ``'semseg'``, ``'detection'`` or ``'panoptic'``: the model is checked to do it and
            set up for it (:func:`prepare_task_config`: every weight from the checkpoint, :class:`OVMask2Former`'s
            output switched to the task); ``None`` builds the config's model as it is.
        cfg_options (dict, optional): Overrides merged into the config (``mmengine`` dotted keys).
        device (str | torch.device): Device of the returned model.

    Returns:
        nn.Module: The model, in eval mode, with ``model.cfg`` the config it was built from.

    Raises:
        MissingFileError, CheckpointError, CheckpointMismatchError, TaskError, InputError: see
        :mod:`umgclip_mm.apis.exceptions`.
    """
    if str(device).startswith('cuda') and not torch.cuda.is_available():
        raise InputError(f'device {device}: this machine has no CUDA device for torch; use cpu')
    config = load_config(config, cfg_options)
    if task is not None:
        prepare_task_config(config, task)
    init_default_scope(config.get('default_scope', 'umgclip_mm'))
    model = MODELS.build(config.model)
    if checkpoint is None:
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel(logging.WARNING)
        try:
            model.init_weights()
        finally:
            logger.setLevel(level)
    else:
        load_model_weights(model, checkpoint)
    model.cfg = config
    return model.to(device).eval()
