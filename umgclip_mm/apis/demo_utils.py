"""What the open-vocabulary demos (``tools/demo/ov_semseg.py``, ``tools/demo/ov_detection.py``) share: input checks
whose messages name the fix, the vocabulary from the command line, a task model built for one task from its config
and a checkpoint, inference on one image file, a palette of distinct colours, and the drawing of a legend and of
labelled boxes that stay inside the picture (those two in :mod:`umgclip_mm.apis.demo_drawing`).

Every check raises ``ValueError`` (or ``FileNotFoundError``) with a message meant for the user; the demos turn it into
``SystemExit``.
"""
import copy
import inspect
import os.path as osp
import pickle
import sys
from typing import List, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope, init_default_scope

from umgclip_mm.registry import MODELS

from .inference import load_model_weights

#: What each demo task needs of a model, for the messages.
TASKS = {
    'semseg': ('semantic segmentation (pred_sem_seg)',
               'umgclip_mm.OVEncoderDecoder, umgclip_mm.ZeroShotSegmentor or umgclip_mm.OVMask2Former '
               '(e.g. configs/quickstart/semseg_synthetic.py)', 'tools/demo/ov_detection.py'),
    'detection': ('detection (pred_instances)',
                  'umgclip_mm.OVTwoStageDetector or umgclip_mm.OVMask2Former (e.g. '
                  'configs/quickstart/detection_synthetic.py)', 'tools/demo/ov_semseg.py'),
}


def check_input_files(image: str, config: str, checkpoint: str) -> np.ndarray:
    """Check that the demo's three files exist and that ``image`` decodes; return the image (RGB, ``uint8``).

    A truncated JPEG or PNG (an interrupted download) is decoded as OpenCV fills it in, with a warning.

    Raises:
        FileNotFoundError: A file is missing (the message names it and what to give instead).
        ValueError: ``image`` is a folder or not an image OpenCV can decode (e.g. a text file named ``.jpg``, an
            empty file), or ``checkpoint`` is not a file ``torch.save`` writes.
    """
    if osp.isdir(image):
        raise ValueError(f'image {image} is a folder: give one image file (JPEG, PNG, ...) per run')
    if not osp.isfile(image):
        raise FileNotFoundError(f'image {image} does not exist: give the path of an image file (JPEG, PNG, ...)')
    if not osp.isfile(config):
        raise FileNotFoundError(f'config {config} does not exist: give the model\'s config file with --config (toy '
                                f'ones are in configs/quickstart/)')
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist: give the trained weights of the config\'s '
                                f'model with --checkpoint (tools/train.py CONFIG writes work_dirs/<config name>/'
                                f'iter_*.pth)')
    import mmcv

    from umgclip_mm.datasets.transforms.load_umg_image import is_truncated
    from umgclip_mm.utils.checkpoint import check_checkpoint_format
    with open(image, 'rb') as f:
        data = f.read()  # read once: decoded, and checked for a cut end
    try:
        img = mmcv.imfrombytes(data, channel_order='rgb')
    except Exception:  # a backend that raises instead of returning None
        img = None
    if img is None or img.ndim != 3 or min(img.shape[:2]) < 1:
        raise ValueError(f'image {image} is not an image file OpenCV can read ({len(data)} bytes): give a '
                         f'JPEG, PNG, BMP, TIFF or WebP picture')
    if is_truncated(data):  # OpenCV fills the missing rows of a cut JPEG without a word
        print(f'warning: image {image} is truncated (its end marker is missing: an interrupted download or '
              f'copy); the missing part is filled in and segmented as it decodes', file=sys.stderr)
    check_checkpoint_format(checkpoint, 'give the trained weights of the config\'s model with --checkpoint (e.g. '
                            'what tools/train.py wrote)')
    return img


def vocabulary_entries(vocab: str = '', vocab_file: Optional[str] = None, min_classes: int = 1) -> List[str]:
    """The classes of ``--vocab`` (comma-separated) and of ``--vocab-file`` (one per line), each ``'name'`` or
    ``'name|synonym|...'``, checked as a vocabulary (no empty list, no class twice).

    Raises:
        FileNotFoundError: ``vocab_file`` is missing.
        ValueError: No class, fewer than ``min_classes``, or a class given twice.
    """
    from umgclip_mm.vocabulary import build_vocabulary, read_class_file
    entries = [v.strip() for v in (vocab or '').split(',') if v.strip().strip('|').strip()]
    if vocab_file:
        entries += read_class_file(vocab_file)
    if not entries:
        raise ValueError('the vocabulary is empty: give the class names with --vocab "cat|kitten,dog,sky" (commas '
                         'between classes, "|" between synonyms) or --vocab-file FILE (one class per line)')
    if len(entries) < min_classes:
        raise ValueError(f'the vocabulary has {len(entries)} class ({entries[0]!r}); give at least {min_classes}, '
                         f'e.g. add "background" or the other things the image shows to --vocab')
    build_vocabulary(entries)  # ValueError naming a repeated class
    return entries


def model_class(cfg: Config):
    """The class a config's ``model.type`` names (in the config's default scope), or ``None``."""
    init_default_scope(cfg.get('default_scope', 'umgclip_mm'))
    model_type = cfg.model.get('type')
    return model_type if inspect.isclass(model_type) else MODELS.get(model_type)


def prepare_task_config(cfg: Config, task: str, ensemble: bool = True, num_classes: Optional[int] = None) -> List[str]:
    """Set a config's model up for ``task`` (``'semseg'`` or ``'detection'``), in place: every weight from the
    demo's checkpoint (``model.clip.init_cfg=None``), the out-of-vocabulary branch off if ``ensemble`` is false,
    and :class:`OVMask2Former`'s output switched to the task (semantic or instance results).

    Args:
        cfg (Config): The config, changed in place.
        task (str): ``'semseg'`` or ``'detection'``.
        ensemble (bool): Keep the out-of-vocabulary branch.
        num_classes (int, optional): Size of the demo's vocabulary (:class:`OVMask2Former`'s instance output keeps
            at most queries x classes masks; mmdet's ``max_per_image`` is capped to that).

    Returns:
        list[str]: Notes for the user (e.g. a model without the branch that ``ensemble=False`` turns off).

    Raises:
        ValueError: The model cannot do ``task`` with a free vocabulary (the message names the models that can).
    """
    from mmdet.models.detectors import MaskFormer
    from mmdet.models.detectors.base import BaseDetector
    from mmseg.models.segmentors.base import BaseSegmentor

    from umgclip_mm.models.open_vocab import OpenVocabMixin
    what, models, other = TASKS[task]
    cls = model_class(cfg)
    name = getattr(cls, '__name__', cfg.model.get('type'))
    if cls is None or not issubclass(cls, OpenVocabMixin):
        raise ValueError(f'the model of the config ({name}) is not an open-vocabulary task model of umgclip_mm; '
                         f'this demo needs one of {models}')
    if issubclass(cls, MaskFormer):  # OVMask2Former: semantic or instance results instead of panoptic ones
        test_cfg = dict(cfg.model.get('test_cfg') or {}, panoptic_on=False, semantic_on=task == 'semseg',
                        instance_on=task == 'detection')
        if task == 'detection' and num_classes:
            queries = (cfg.model.get('panoptic_head') or {}).get('num_queries', 100)
            test_cfg['max_per_image'] = min(test_cfg.get('max_per_image', 100), queries * num_classes)
        cfg.model.test_cfg = test_cfg
    elif not issubclass(cls, BaseSegmentor if task == 'semseg' else BaseDetector):
        raise ValueError(f'the model of the config ({name}) does not do {what}: this demo needs one of {models}; '
                         f'for the model of this config use {other}')
    if cfg.model.get('clip') is not None:
        cfg.model.clip.init_cfg = None  # every weight comes from the checkpoint
    notes = []
    if not ensemble:
        if 'ensemble' in inspect.signature(cls.__init__).parameters:
            cfg.model.ensemble = None
        else:
            notes.append(f'--no-ensemble: {name} has no out-of-vocabulary branch; nothing to turn off')
    return notes


def load_task_model(cfg: Config, checkpoint: str, device: str = 'cpu', task: str = '') -> torch.nn.Module:
    """The model of ``cfg`` with the weights of ``checkpoint`` (weights-only, strict: :func:`load_model_weights`), in
    eval mode on ``device``, ``model.cfg`` set (as :func:`init_model`); a checkpoint that cannot be read or does not
    fit the model is a ``ValueError`` whose message says so.
    """
    if str(device).startswith('cuda') and not torch.cuda.is_available():
        raise ValueError(f'--device {device}: this machine has no CUDA device for torch; use --device cpu')
    init_default_scope(cfg.get('default_scope', 'umgclip_mm'))
    model = MODELS.build(cfg.model)
    try:
        load_model_weights(model, checkpoint)
    except KeyError as err:
        msg = err.args[0] if err.args and isinstance(err.args[0], str) else ''
        if 'does not match the model' not in msg:  # raised while unpickling: not a checkpoint
            raise ValueError(f'checkpoint {checkpoint} is not a PyTorch checkpoint (unpickling failed: '
                             f'{type(err).__name__} {err}); give a .pth file written by tools/train.py') from err
        hint = ('; a training-free config such as configs/quickstart/semseg_zeroshot_synthetic.py takes one as it '
                'is' if task == 'semseg' else '')
        raise ValueError(f'{msg}\nGive the checkpoint trained with this config (tools/train.py CONFIG); a UMG-CLIP '
                         f'pretraining checkpoint holds the towers only{hint}') from err
    except (ValueError, FileNotFoundError, pickle.UnpicklingError, EOFError, RuntimeError) as err:
        raise ValueError(f'checkpoint {checkpoint} cannot be loaded: {err}; give a .pth file written by '
                         f'tools/train.py') from err
    model.cfg = cfg
    return model.to(device).eval()


def inference_pipeline(cfg: Config) -> List[dict]:
    """The config's test pipeline (``test_dataloader.dataset.pipeline``, else ``test_pipeline``) without its
    annotation loading."""
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader') or {}
    pipeline = (loader.get('dataset') or {}).get('pipeline') or cfg.get('test_pipeline')
    if not pipeline:
        raise ValueError('the config has no test pipeline (test_dataloader.dataset.pipeline or test_pipeline) to '
                         'prepare the image with')
    return [copy.deepcopy(t) for t in pipeline if 'Annotations' not in str(t.get('type', ''))]


def predict_image(model: torch.nn.Module, image: str):
    """The model's prediction (a data sample) for one image file, through the test pipeline of ``model.cfg`` and
    ``model.test_step`` (what ``mmseg.apis.inference_model`` and ``mmdet.apis.inference_detector`` do, for either
    library's pipelines)."""
    from mmengine.dataset import Compose
    cfg = model.cfg
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'umgclip_mm')):
        data = Compose(inference_pipeline(cfg))(dict(img_path=image, img_id=0))
        with torch.no_grad():
            return model.test_step(dict(inputs=[data['inputs']], data_samples=[data['data_samples']]))[0]


def demo_model(args, task: str, min_classes: int = 1):
    """What every demo does first, from its parsed command line (``image``, ``config``, ``checkpoint``, ``vocab``,
    ``vocab_file``, ``no_ensemble``, ``device``): check the inputs, build ``task``'s model from the config with the
    checkpoint's weights and point it at the vocabulary. Bad input ends the program with the message.

    Args:
        args (argparse.Namespace): The demo's arguments.
        task (str): ``'semseg'`` or ``'detection'`` (:data:`TASKS`).
        min_classes (int): Fewest classes the task accepts.

    Returns:
        tuple: the image (RGB ``uint8`` ``[H, W, 3]``) and the model, its test vocabulary set.
    """
    try:
        image = check_input_files(args.image, args.config, args.checkpoint)
        entries = vocabulary_entries(args.vocab, args.vocab_file, min_classes=min_classes)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(str(err))
    cfg = Config.fromfile(args.config)
    try:
        notes = prepare_task_config(cfg, task, ensemble=not args.no_ensemble, num_classes=len(entries))
        model = load_task_model(cfg, args.checkpoint, device=args.device, task=task)
    except ValueError as err:
        raise SystemExit(f'{args.config}: {err}')
    for note in notes:
        print(note)
    model.set_test_vocabulary(entries)
    return image, model
