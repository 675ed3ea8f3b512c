"""What the open-vocabulary demos (``tools/demo/ov_panoptic.py``, ``ov_semseg.py``, ``ov_detection.py``) share:
input checks whose messages name the fix, the vocabulary from the command line, a task model built for one task from
its config and a checkpoint, inference on one image (a file or an array) in fp32 or under autocast, a run over many
images (files and folders: one model load, a bad file reported and skipped, outputs named after the inputs), a
latency profile split by model part, a palette of distinct colours, and the drawing of a legend and of labelled
boxes that stay inside the picture (those two in :mod:`umgclip_mm.apis.demo_drawing`).

Every check raises ``ValueError`` (or ``FileNotFoundError``) with a message meant for the user; the demos turn it into
``SystemExit``.
"""
import contextlib
import copy
import inspect
import os
import os.path as osp
import pickle
import sys
import time
from collections import OrderedDict
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

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
    'panoptic': ('panoptic segmentation (pred_panoptic_seg)',
                 'umgclip_mm.OVMask2Former (e.g. configs/quickstart/panoptic_synthetic.py)',
                 'tools/demo/ov_semseg.py or tools/demo/ov_detection.py'),
}

#: Extensions of the files a folder given to a demo contributes (other files in it are ignored).
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
#: ``--dtype`` choices: the compute dtype of autocast (``fp16`` on CUDA only).
DTYPES = ('fp32', 'bf16', 'fp16')


def check_model_files(config: str, checkpoint: str) -> None:
    """Check that the demo's config and checkpoint exist, and that the checkpoint starts as ``torch.save`` writes.

    Raises:
        FileNotFoundError: A file is missing (the message names it and what to give instead).
        ValueError: ``checkpoint`` is not a file ``torch.save`` writes.
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'config {config} does not exist: give the model\'s config file with --config (toy '
                                f'ones are in configs/quickstart/)')
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist: give the trained weights of the config\'s '
                                f'model with --checkpoint (tools/train.py CONFIG writes work_dirs/<config name>/'
                                f'iter_*.pth)')
    from umgclip_mm.utils.checkpoint import check_checkpoint_format
    check_checkpoint_format(checkpoint, 'give the trained weights of the config\'s model with --checkpoint (e.g. '
                            'what tools/train.py wrote)')


def read_image(image: str) -> np.ndarray:
    """Decode one image file (RGB, ``uint8``), read once. A truncated JPEG or PNG (an interrupted download) is
    decoded as OpenCV fills it in, with a warning on stderr.

    Raises:
        FileNotFoundError: ``image`` does not exist.
        ValueError: ``image`` is a folder or not an image OpenCV can decode (e.g. a text file named ``.jpg``, an
            empty file).
    """
    if osp.isdir(image):
        raise ValueError(f'image {image} is a folder: give one image file (JPEG, PNG, ...) per run')
    if not osp.isfile(image):
        raise FileNotFoundError(f'image {image} does not exist: give the path of an image file (JPEG, PNG, ...)')
    import mmcv

    from umgclip_mm.datasets.transforms.load_umg_image import is_truncated
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
    return img


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
    if not osp.isfile(config) or not osp.isfile(checkpoint):
        check_model_files(config, checkpoint)
    img = read_image(image)
    check_model_files(config, checkpoint)
    return img


def collect_images(inputs: Sequence[str]) -> List[str]:
    """The image files of the command line, in order: a file as it is (checked when it is read), a folder as its
    files with an image extension (:data:`IMAGE_EXTENSIONS`), sorted by name, not recursing.

    Raises:
        ValueError: A folder holds no image file (the message names it).
    """
    images = []
    for item in inputs:
        if osp.isdir(item):
            found = sorted(f for f in os.listdir(item)
                           if f.lower().endswith(IMAGE_EXTENSIONS) and osp.isfile(osp.join(item, f)))
            if not found:
                raise ValueError(f'folder {item} has no image file ({", ".join(IMAGE_EXTENSIONS)}): give image '
                                 f'files or folders of them')
            images += [osp.join(item, f) for f in found]
        else:
            images.append(item)
    return images


def output_stems(images: Sequence[str]) -> List[str]:
    """A distinct output name per image: its file name without the extension (``photo``); where two inputs share
    it, the extension is kept (``photo_jpg``, ``photo_png``), and a number is added to any name still taken."""
    stems = [osp.splitext(osp.basename(p))[0] for p in images]
    counts = {s: stems.count(s) for s in stems}
    named = [osp.basename(p).replace('.', '_') if counts[s] > 1 else s for p, s in zip(images, stems)]
    seen, out = set(), []
    for name in named:
        unique, k = name, 1
        while unique in seen:
            unique, k = f'{name}_{k}', k + 1
        seen.add(unique)
        out.append(unique)
    return out


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
    """Set a config's model up for ``task`` (``'semseg'``, ``'detection'`` or ``'panoptic'``), in place: every
    weight from the demo's checkpoint (``model.clip.init_cfg=None``), the out-of-vocabulary branch off if
    ``ensemble`` is false, and :class:`OVMask2Former`'s output switched to the task (semantic, instance or panoptic
    results only).

    Args:
        cfg (Config): The config, changed in place.
        task (str): ``'semseg'``, ``'detection'`` or ``'panoptic'`` (:data:`TASKS`).
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
    if task == 'panoptic' and not issubclass(cls, MaskFormer):
        raise ValueError(f'the model of the config ({name}) does not do {what}: this demo needs {models}; for the '
                         f'model of this config use {other}')
    if issubclass(cls, MaskFormer):  # OVMask2Former: the task's results only
        test_cfg = dict(cfg.model.get('test_cfg') or {}, panoptic_on=task == 'panoptic', semantic_on=task == 'semseg',
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


def autocast_context(device, dtype: str = 'fp32'):
    """The context a prediction runs in for ``--dtype``: nothing for ``'fp32'``; ``torch.autocast`` with bfloat16
    (``'bf16'``, CPU or CUDA) or float16 (``'fp16'``, CUDA only) otherwise: matrix products and convolutions in the
    low precision, reductions and the rest in fp32, as ``--amp`` trains.

    Raises:
        ValueError: An unknown dtype, or ``'fp16'`` on the CPU (which computes it slower than fp32, if at all).
    """
    if dtype not in DTYPES:
        raise ValueError(f'--dtype {dtype}: use one of {", ".join(DTYPES)}')
    if dtype == 'fp32':
        return contextlib.nullcontext()
    kind = torch.device(device).type
    if dtype == 'fp16' and kind != 'cuda':
        raise ValueError('--dtype fp16 needs a CUDA device (--device cuda); on the CPU use --dtype bf16')
    return torch.autocast(kind, dtype=torch.bfloat16 if dtype == 'bf16' else torch.float16)


def to_float32(sample):
    """``sample`` (a data sample, in place) with every bfloat16 / float16 tensor of its data fields made float32, so
    an autocast prediction converts to numpy and JSON as an fp32 one does."""
    from mmengine.structures import BaseDataElement
    for key in list(sample.keys()):
        value = sample.get(key)
        if isinstance(value, BaseDataElement):
            to_float32(value)
        elif isinstance(value, torch.Tensor) and value.dtype in (torch.bfloat16, torch.float16):
            sample.set_field(value.float(), key)
    return sample


class DemoProfiler:
    """Wall-clock latency of each image of a demo run, split by part of the model: ``load`` (decoding, the test
    pipeline and the model's data preprocessor), ``text`` (the vocabulary's text embeddings: the first image only,
    then cached), ``tower`` (the frozen UMG-CLIP image tower, ``clip.forward_features``), ``head`` (everything else
    the model does: neck, decoder or RPN and RoI head, post-processing), ``ensemble`` (the out-of-vocabulary branch,
    ``model.ensemble``) and ``draw`` (drawing and writing the outputs). Each part is timed exclusively (a timed call
    inside another is subtracted from it); on CUDA the device is synchronised at each boundary.

    Args:
        enabled (bool): Time anything at all (the demos' ``--profile``).
        device (str): The model's device.
    """

    PARTS = ('load', 'text', 'tower', 'head', 'ensemble', 'draw')

    def __init__(self, enabled: bool = True, device='cpu'):
        self.enabled = enabled
        self.cuda = torch.device(device).type == 'cuda'
        self.rows: List[Tuple[str, Dict[str, float]]] = []
        self._current: Optional[Dict[str, float]] = None
        self._stack: List[list] = []

    def _now(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    @contextlib.contextmanager
    def image(self, name: str, load_s: float = 0.0) -> Iterator[None]:
        """Collect the parts timed inside into one row named ``name`` (kept if the block ends without error);
        ``load_s`` seconds spent before the block (reading the file) count as ``load``."""
        self._current = OrderedDict((p, 0.0) for p in self.PARTS)
        self._current['load'] = load_s
        start = self._now() if self.enabled else 0.0
        try:
            yield
            if self.enabled:
                self._current['total'] = self._now() - start + load_s
                self.rows.append((name, self._current))
        finally:
            self._current, self._stack = None, []

    @contextlib.contextmanager
    def section(self, part: str) -> Iterator[None]:
        """Time a block as ``part`` (exclusive of the timed calls inside it)."""
        if not self.enabled or self._current is None:
            yield
            return
        frame = [part, self._now(), 0.0]
        self._stack.append(frame)
        try:
            yield
        finally:
            elapsed = self._now() - frame[1]
            self._stack.pop()
            self._current[part] = self._current.get(part, 0.0) + elapsed - frame[2]
            if self._stack:
                self._stack[-1][2] += elapsed

    def _wrap(self, obj, method: str, part: str, patched: list) -> None:
        if obj is None or not hasattr(obj, method):
            return
        original = getattr(obj, method)

        def timed(*args, **kwargs):
            with self.section(part):
                return original(*args, **kwargs)

        setattr(obj, method, timed)  # an instance attribute, shadowing the class's method
        patched.append((obj, method))

    @contextlib.contextmanager
    def watch(self, model: torch.nn.Module) -> Iterator[None]:
        """Time the model's parts (see the class docstring) while the block runs; the time of the whole block not
        spent in them is ``head``. Nothing is changed when profiling is off."""
        if not self.enabled:
            yield
            return
        patched: list = []
        clip = getattr(model, 'clip', None)
        self._wrap(getattr(model, 'data_preprocessor', None), 'forward', 'load', patched)
        self._wrap(clip, 'forward_features', 'tower', patched)
        self._wrap(getattr(model, 'vocab_encoder', None), 'forward', 'text', patched)
        self._wrap(getattr(model, 'ensemble', None), 'forward', 'ensemble', patched)
        try:
            with self.section('head'):
                yield
        finally:
            for obj, method in patched:
                delattr(obj, method)

    def table(self) -> str:
        """The rows in milliseconds, one per image, and their mean (and the mean without the first image, which
        also encodes the vocabulary and warms the caches, when there are more than two)."""
        cols = list(self.PARTS) + ['total']
        width = max([len(name) for name, _ in self.rows] + [28]) + 2
        lines = ['latency (ms)'.ljust(width) + ''.join(c.rjust(10) for c in cols)]

        def line(name, row):
            return name.ljust(width) + ''.join(f'{1000 * row.get(c, 0.0):10.1f}' for c in cols)

        lines += [line(name, row) for name, row in self.rows]
        groups = [('mean', self.rows)]
        if len(self.rows) > 2:
            groups.append(('mean without the first', self.rows[1:]))
        for label, rows in groups:
            if len(rows) > 1:
                mean = {c: float(np.mean([r.get(c, 0.0) for _, r in rows])) for c in cols}
                lines.append(line(f'{label} ({len(rows)})', mean))
        return '\n'.join(lines)


def _array_loader(pipeline: List[dict]) -> Optional[List[dict]]:
    """The pipeline reading a decoded array (mmdet's ``LoadImageFromNDArray``) instead of a file, when its first
    step is a plain ``LoadImageFromFile`` (no decoding option the array would miss); else ``None``."""
    first = pipeline[0] if pipeline else {}
    plain = set(first) <= {'type', 'backend_args', 'file_client_args', '_scope_'}
    if not (plain and str(first.get('type', '')).endswith('LoadImageFromFile')):
        return None
    return [dict(type='mmdet.LoadImageFromNDArray')] + pipeline[1:]


def predict_image(model: torch.nn.Module, image, dtype: str = 'fp32', profiler: Optional[DemoProfiler] = None):
    """The model's prediction (a data sample) for one image, through the test pipeline of ``model.cfg`` and
    ``model.test_step`` (what ``mmseg.apis.inference_model`` and ``mmdet.apis.inference_detector`` do, for either
    library's pipelines).

    Args:
        model (nn.Module): A model from :func:`load_task_model` (``model.cfg`` set).
        image (str | np.ndarray): An image file, or a decoded image (``uint8`` ``[H, W, 3]`` in BGR, mmcv's order,
            as ``mmdet.apis.inference_detector`` takes it; read by ``LoadImageFromNDArray`` when the pipeline loads
            with a plain ``LoadImageFromFile``, else written to a temporary PNG).
        dtype (str): ``'fp32'``, ``'bf16'`` or ``'fp16'`` (:func:`autocast_context`); the prediction's tensors come
            back in fp32.
        profiler (DemoProfiler, optional): Times the pipeline and the model's parts.
    """
    from mmengine.dataset import Compose
    cfg = model.cfg
    profiler = profiler or DemoProfiler(enabled=False)
    device = next(model.parameters()).device
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'umgclip_mm')):
        with profiler.section('load'):
            pipeline = inference_pipeline(cfg)
            if isinstance(image, np.ndarray):
                from_array = _array_loader(pipeline)
                if from_array is None:
                    import tempfile

                    import mmcv
                    with tempfile.TemporaryDirectory() as tmp:
                        mmcv.imwrite(image, osp.join(tmp, 'image.png'))
                        data = Compose(pipeline)(dict(img_path=osp.join(tmp, 'image.png'), img_id=0))
                else:
                    data = Compose(from_array)(dict(img=image, img_id=0))
            else:
                data = Compose(pipeline)(dict(img_path=image, img_id=0))
        with torch.no_grad(), autocast_context(device, dtype), profiler.watch(model):
            result = model.test_step(dict(inputs=[data['inputs']], data_samples=[data['data_samples']]))[0]
    return to_float32(result)


class DemoRun:
    """One run of a demo over many images: the input checks (config, checkpoint, images) first, the model built
    once, when the first image decodes; then each image decoded once, predicted and handed to the demo's
    ``process`` with its output name. An image that cannot be read or processed is reported on stderr and skipped,
    the others are done; :meth:`finish` then ends the program with a non-zero status naming them (one image: its
    message alone, as a one-image demo says it).

    Args:
        images (Sequence[str]): The command line's images and folders (:func:`collect_images`).
        config (str): The config file.
        checkpoint (str): The checkpoint file.
        build_model (Callable[[], nn.Module]): Builds the model (called once, at the first readable image);
            ``SystemExit`` for a config or checkpoint that does not fit.
        dtype (str): ``--dtype`` (:func:`autocast_context`).
        device (str): ``--device``.
        profile (bool): ``--profile``: print each image's latency by part and the means (:class:`DemoProfiler`).
    """

    def __init__(self, images: Sequence[str], config: str, checkpoint: str, build_model: Callable,
                 dtype: str = 'fp32', device: str = 'cpu', profile: bool = False):
        try:
            check_model_files(config, checkpoint)
            autocast_context(device, dtype)
            self.images = collect_images(images)
        except (FileNotFoundError, ValueError) as err:
            raise SystemExit(str(err))
        self.stems = output_stems(self.images)
        self.build_model, self.dtype, self.device = build_model, dtype, device
        self.profiler = DemoProfiler(enabled=profile, device=device)
        self._model = None
        self.failed: List[Tuple[str, str]] = []

    @property
    def model(self) -> torch.nn.Module:
        """The model, built at first use."""
        if self._model is None:
            self._model = self.build_model()
        return self._model

    def predict(self, image: np.ndarray):
        """The model's prediction for a decoded image (RGB, as :func:`read_image` returns it)."""
        return predict_image(self.model, np.ascontiguousarray(image[..., ::-1]), dtype=self.dtype,
                             profiler=self.profiler)

    def section(self, part: str):
        """Time a block of the demo (e.g. ``'draw'``) in the current image's profile."""
        return self.profiler.section(part)

    @staticmethod
    def output_paths(out_dir: str, stem: str) -> Tuple[str, str]:
        """``(OUT/stem.png, OUT/stem.json)``, the folder made."""
        os.makedirs(out_dir, exist_ok=True)
        return osp.join(out_dir, stem + '.png'), osp.join(out_dir, stem + '.json')

    def write_json(self, json_path: str, image_path: str, shape: Sequence[int], **fields) -> None:
        """The JSON every demo writes (``docs/inference.md``): the image, its height and width, the model's type,
        whether its out-of-vocabulary ensemble is on, the dtype, then the demo's own ``fields``."""
        import json
        head = dict(image=image_path, height=int(shape[0]), width=int(shape[1]), model=type(self.model).__name__,
                    ensemble=getattr(self.model, 'ensemble', None) is not None, dtype=self.dtype)
        with open(json_path, 'w') as f:
            json.dump(dict(head, **fields), f, indent=1)

    def run(self, process: Callable[[str, str, np.ndarray], str]) -> None:
        """``process(path, output name, RGB image) -> message`` for every image; each message is printed."""
        for path, stem in zip(self.images, self.stems):
            try:
                start = time.perf_counter()
                image = read_image(path)
                read_s = time.perf_counter() - start
                self.model  # built at the first readable image, outside the timings
                with self.profiler.image(osp.basename(path), load_s=read_s):
                    message = process(path, stem, image)
            except (FileNotFoundError, ValueError) as err:
                self._fail(path, str(err))
                continue
            except (RuntimeError, TypeError, IndexError, KeyError, OSError) as err:
                self._fail(path, f'image {path} failed: {type(err).__name__}: {err}')
                continue
            print(message)

    def _fail(self, path: str, message: str) -> None:
        self.failed.append((path, message))
        if len(self.images) > 1:
            print(f'skipped: {message}', file=sys.stderr)

    def finish(self) -> None:
        """Print the latency table (``--profile``); end with a non-zero status if any image failed."""
        if self.profiler.enabled and self.profiler.rows:
            print(f'--profile, --dtype {self.dtype} on {self.device}:')
            print(self.profiler.table())
        if not self.failed:
            return
        if len(self.images) == 1:
            raise SystemExit(self.failed[0][1])
        raise SystemExit(f'{len(self.failed)} of {len(self.images)} images failed (the others were done): ' +
                         ', '.join(path for path, _ in self.failed))


def build_demo_model(args, task: str, vocab) -> torch.nn.Module:
    """The model of ``args.config`` (with ``args.cfg_options`` merged) set up for ``task`` by
    :func:`prepare_task_config`, with the weights of ``args.checkpoint`` (:func:`load_task_model`) on
    ``args.device``, predicting ``vocab`` (class entries, or ``dict(thing_classes=..., stuff_classes=...)``). A
    config or checkpoint that does not fit ends the program with the message.
    """
    cfg = Config.fromfile(args.config)
    if getattr(args, 'cfg_options', None):
        cfg.merge_from_dict(args.cfg_options)
    num_classes = len(vocab) if isinstance(vocab, (list, tuple)) else sum(len(v) for v in vocab.values())
    try:
        notes = prepare_task_config(cfg, task, ensemble=not args.no_ensemble, num_classes=num_classes)
        model = load_task_model(cfg, args.checkpoint, device=args.device, task=task)
    except ValueError as err:
        raise SystemExit(f'{args.config}: {err}')
    for note in notes:
        print(note)
    model.set_test_vocabulary(vocab)
    return model


def add_run_arguments(parser) -> None:
    """The options every demo shares for a run over many images: ``--dtype``, ``--profile``, ``--cfg-options``."""
    from mmengine.config import DictAction
    parser.add_argument('--dtype', choices=DTYPES, default='fp32',
                        help='compute dtype: fp32 (default), bf16 (autocast, CPU or CUDA), fp16 (autocast, CUDA)')
    parser.add_argument('--profile', action='store_true',
                        help='print each image\'s latency split into load, text, tower, head, ensemble and draw')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries, e.g. test_dataloader.dataset.pipeline.1.scale="(512,512)"')
