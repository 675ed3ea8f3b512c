"""The web demo's logic (``tools/demo/app.py`` builds the page around it): an image and a vocabulary typed in a text
box go in; an overlay with a legend, a table of the segments, classes, boxes or scores, and a message come out, for
four tasks (panoptic and semantic segmentation, detection, zero-shot classification), each with its own config and
checkpoint, loaded the first time the task is asked for and kept.

Bad input never raises: no image, an empty vocabulary, a missing checkpoint, a model that cannot do the task each
come back as a message for the page. 16-bit, float, RGBA and grayscale images are converted to 8-bit RGB and huge
ones are downscaled, each with a note.

The model code is the command-line demos': :mod:`umgclip_mm.apis.demo_utils` (vocabulary, task configs, weights,
inference) and :mod:`umgclip_mm.apis.demo_drawing` (palette, legend, boxes), and the table helpers of
``tools/demo/ov_panoptic.py``, ``ov_semseg.py`` and ``ov_detection.py``. Nothing here imports gradio.
"""
import contextlib
import glob
import importlib.util
import os.path as osp
import re
import tempfile
import threading
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: The tasks, in the page's order: name -> what the page calls it.
TASKS = {
    'panoptic': 'panoptic segmentation',
    'semantic': 'semantic segmentation',
    'detection': 'detection',
    'classification': 'zero-shot classification',
}
#: The quickstart's models (``make quickstart`` trains them): config, checkpoint (a file, or a work dir whose latest
#: checkpoint is taken), relative to the repository root.
DEFAULT_MODELS = {
    'panoptic': ('configs/quickstart/panoptic_synthetic.py', 'work_dirs/quickstart_panoptic/iter_1000.pth'),
    'semantic': ('configs/quickstart/semseg_synthetic.py', 'work_dirs/quickstart_semseg'),
    'detection': ('configs/quickstart/detection_synthetic.py', 'work_dirs/quickstart_detection'),
    'classification': ('configs/quickstart/zeroshot_synthetic.py', 'work_dirs/quickstart/iter_600.pth'),
}
#: The longest image side the demo works at; a larger image is downscaled to it, with a note.
MAX_SIDE = 1600
#: The shortest image side it accepts.
MIN_SIDE = 8
#: The tasks' names in :func:`umgclip_mm.apis.demo_utils.prepare_task_config`.
DEMO_UTILS_TASKS = dict(panoptic='panoptic', semantic='semseg', detection='detection')
#: What the toy models know (the toy world's classes), as the vocabulary of the toy scene example.
TOY_VOCAB = 'circle|disc,square,triangle,star,ring,cross,diamond,hexagon,sky,grass,water,sand,wall'
TOY_STUFF = 'sky,grass,water,sand,wall'

_SCRIPTS = {}


def demo_script(name: str):
    """``tools/demo/<name>.py`` as a module, for the helpers the command-line demos define (``segments_of``,
    ``class_shares``, ``detections_of``, ``read_vocab``); loaded once."""
    if name not in _SCRIPTS:
        path = osp.join(REPO, 'tools', 'demo', f'{name}.py')
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} is missing: the web demo runs from a checkout of the repository, whose '
                                    f'tools/demo/ holds the command-line demos it shares code with')
        spec = importlib.util.spec_from_file_location(f'umgclip_mm_web_demo_{name}', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _SCRIPTS[name] = module
    return _SCRIPTS[name]


def latest_checkpoint(path: str) -> str:
    """``path`` if it is not a folder; for a work dir, its checkpoint of the most iterations (``iter_N.pth``, else
    ``epoch_N.pth``), else the one its ``last_checkpoint`` names; a folder with none gives
    ``<folder>/iter_*.pth`` (which does not exist: the message says so)."""
    if not osp.isdir(path):
        return path
    for kind in ('iter', 'epoch'):
        found = [(int(m.group(1)), f) for f in glob.glob(osp.join(path, f'{kind}_*.pth'))
                 if (m := re.fullmatch(rf'{kind}_(\d+)\.pth', osp.basename(f)))]
        if found:
            return max(found)[1]
    last = osp.join(path, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            named = f.read().strip()
        if osp.isfile(named):
            return named
    return osp.join(path, 'iter_*.pth')


def example_images() -> List[dict]:
    """The page's examples: scikit-image's bundled photographs (no download) and a toy-world scene (the classes
    the quickstart's models know). Each: ``name``, ``image`` (RGB ``uint8``), ``vocab``, ``stuff``, ``task``."""
    from skimage import data

    from umgclip_mm.datasets.toy_world import make_scene
    toy = make_scene(np.random.default_rng(8), 256)[0]
    return [
        dict(name='toy scene', image=toy, vocab=TOY_VOCAB, stuff=TOY_STUFF, task='panoptic'),
        dict(name='astronaut', image=data.astronaut(), vocab='person|astronaut,flag,rocket,sky,wall',
             stuff='sky,wall', task='panoptic'),
        dict(name='coffee', image=data.coffee(), vocab='cup|mug,coffee,saucer,spoon,table', stuff='table',
             task='semantic'),
        dict(name='chelsea', image=data.chelsea(), vocab='cat|kitten,dog,wall,floor', stuff='wall,floor',
             task='detection'),
    ]


def to_rgb_uint8(image, max_side: int = MAX_SIDE) -> Tuple[np.ndarray, List[str]]:
    """The image as the models take it: RGB ``uint8`` ``[H, W, 3]``, the longest side at most ``max_side``.

    16-bit or other integer images are scaled to 8 bits, float ones from ``[0, 1]`` (else their own range),
    grayscale is repeated into three channels, RGBA is laid over white, a larger image is downscaled (area
    interpolation, aspect kept).

    Args:
        image: An array ``[H, W]``, ``[H, W, 1]``, ``[H, W, 3]`` or ``[H, W, 4]`` (what the page's image box gives),
            or ``None``.
        max_side (int): Longest side kept.

    Returns:
        tuple: the image and notes for the user (one per conversion).

    Raises:
        ValueError: No image, or one that is no picture (wrong shape, a side under :data:`MIN_SIDE` px).
    """
    if image is None:
        raise ValueError('No image: upload one (or paste it), or pick one of the examples below the image box.')
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (3, 4)):
        raise ValueError(f'The image has shape {tuple(img.shape)}: give a grayscale, RGB or RGBA picture.')
    h, w = img.shape[:2]
    if min(h, w) < MIN_SIDE:
        raise ValueError(f'The image is {w} x {h} px: give one of at least {MIN_SIDE} px on each side.')
    notes = []
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    elif img.dtype != np.uint8:
        src = img.dtype
        img = np.nan_to_num(img.astype(np.float64))
        lo, hi = float(img.min()), float(img.max())
        if np.issubdtype(src, np.floating):
            what = f'a float image (values {lo:.3g} to {hi:.3g})'
            if lo >= 0 and hi <= 1:
                lo, hi = 0.0, 1.0
        elif src == np.uint16 or (lo >= 0 and 255 < hi <= 65535):  # 16-bit (some readers give it as int32)
            what, lo, hi = 'a 16-bit image', 0.0, 65535.0
        elif lo >= 0 and hi <= 255:
            what, lo, hi = f'an image of {src} values', 0.0, 255.0
        else:
            what = f'an image of {src} values {lo:g} to {hi:g}'
        img = np.clip(np.round((img - lo) * 255.0 / max(hi - lo, 1e-12)), 0, 255).astype(np.uint8)
        notes.append(f'{what}: scaled to 8 bits')
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
        notes.append('a grayscale image: repeated into R, G and B')
    elif img.shape[2] == 4:
        alpha = img[..., 3:].astype(np.float32) / 255.0
        img = np.round(img[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
        notes.append('an RGBA image: laid over white (the transparency is dropped)')
    if max(h, w) > max_side:
        import cv2
        scale = max_side / max(h, w)
        size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        notes.append(f'the image is {w} x {h} px: downscaled to {size[0]} x {size[1]} (the longest side to {max_side} '
                     f'px); the table\'s pixels and boxes are of the downscaled image')
    return np.ascontiguousarray(img), notes


#: The columns of each task's table (the panoptic boxes as COCO's, as ``tools/demo/ov_panoptic.py`` writes them).
TABLE_HEADERS = {
    'panoptic': ('segment', 'class', 'kind', 'area (px)', 'area (%)', 'box x, y, width, height'),
    'semantic': ('class', 'pixels', 'share (%)'),
    'detection': ('class', 'score', 'box x1, y1, x2, y2', 'mask area (px)'),
    'classification': ('rank', 'class', 'probability'),
}


def empty_table(task: str) -> dict:
    """The table of ``task`` with no rows (``{'headers': [...], 'data': []}``, what a gradio Dataframe takes)."""
    return dict(headers=list(TABLE_HEADERS[task]), data=[])


def page_wording(message: str) -> str:
    """A command-line demo's message in the page's words: its ``--vocab`` / ``--stuff`` options are the page's
    vocabulary and stuff boxes."""
    for flag, box in (('--vocab / --vocab-file', 'the vocabulary'), ('--vocab-file', 'the vocabulary'),
                      ('--vocab', 'the vocabulary'), ('--stuff', 'the stuff box')):
        message = message.replace(flag, box)
    return message


@contextlib.contextmanager
def released_visualizers():
    """Forget the mmengine visualizers made inside the block: ``Visualizer.get_instance`` (which the demos' drawing
    uses) keeps each one, its canvas included, for the process's life; a server making some per request would grow
    by megabytes a request."""
    from mmengine.visualization import Visualizer
    classes, i = [Visualizer], 0
    while i < len(classes):
        classes += [c for c in classes[i].__subclasses__() if c not in classes]
        i += 1
    before = {cls: set(cls._instance_dict) for cls in classes}
    try:
        yield
    finally:
        for cls in classes:
            for name in [n for n in cls._instance_dict if n not in before[cls]]:
                cls._instance_dict.pop(name).close()


def _count(n: int, word: str) -> str:
    return f'{n} {word}' + ('' if n == 1 else 's')


def _box_text(box: Sequence[float]) -> str:
    return ', '.join(f'{float(v):.0f}' for v in box)


class WebDemo:
    """The web demo's callbacks: one model per task, built from its config and checkpoint on first use and kept.

    Args:
        models (dict, optional): Per task (:data:`TASKS`), ``(config, checkpoint)``; a checkpoint may be a work dir
            (its latest checkpoint is taken). Tasks left out take :data:`DEFAULT_MODELS` (the quickstart's; paths
            relative to the repository root).
        device (str): ``'cpu'`` or ``'cuda[:N]'``.
        max_side (int): Longest image side the models get; larger images are downscaled with a note.
        opacity (float): Opacity of the semantic class colours.
    """

    def __init__(self,
                 models: Optional[Dict[str, Tuple[str, str]]] = None,
                 device: str = 'cpu',
                 max_side: int = MAX_SIDE,
                 opacity: float = 0.5):
        unknown = set(models or {}) - set(TASKS)
        if unknown:
            raise ValueError(f'WebDemo: unknown tasks {sorted(unknown)}; the tasks are {list(TASKS)}')
        self.models = {}
        for task, (config, checkpoint) in DEFAULT_MODELS.items():
            self.models[task] = dict(config=osp.join(REPO, config), checkpoint=osp.join(REPO, checkpoint),
                                     default=True)
        for task, (config, checkpoint) in (models or {}).items():
            self.models[task] = dict(config=config, checkpoint=checkpoint, default=False)
        self.device = device
        self.max_side = max_side
        self.opacity = opacity
        self._loaded = {}
        self._lock = threading.Lock()  # one prediction at a time: the models' vocabularies are shared state

    # -- models ------------------------------------------------------------------------------------------------
    def checkpoint_of(self, task: str) -> str:
        """The checkpoint file ``task`` loads (a work dir resolved to its latest checkpoint)."""
        return latest_checkpoint(self.models[task]['checkpoint'])

    def missing(self, task: str) -> Optional[str]:
        """Why ``task``'s model cannot be loaded for want of a file (the message names the command that makes it),
        or ``None``."""
        spec = self.models[task]
        flag = f'--{task}-config / --{task}-checkpoint'
        if not osp.isfile(spec['config']):
            return f'The {TASKS[task]} config {spec["config"]} does not exist: start the app with {flag} FILE.'
        ckpt = self.checkpoint_of(task)
        if osp.isfile(ckpt):
            return None
        if spec['default']:
            return (f'The {TASKS[task]} checkpoint {ckpt} does not exist: run `make quickstart` in {REPO} to train '
                    f'the quickstart\'s models (about 12 minutes on CPU), or start the app with {flag}.')
        return (f'The {TASKS[task]} checkpoint {ckpt} does not exist: give the trained weights of '
                f'{spec["config"]} with --{task}-checkpoint (tools/train.py CONFIG writes work_dirs/<config name>/'
                f'iter_*.pth).')

    def status(self) -> List[str]:
        """A line per task: its config and checkpoint, or what is missing."""
        lines = []
        for task in TASKS:
            why = self.missing(task)
            spec = self.models[task]
            lines.append(f'{TASKS[task]}: ' + (why or f'{osp.relpath(spec["config"], REPO)} with '
                                                      f'{osp.relpath(self.checkpoint_of(task), REPO)}'))
        return lines

    def model(self, task: str):
        """``task``'s model, built and loaded on first use.

        Raises:
            ValueError: A missing file, a checkpoint that does not fit, a model that cannot do the task (the
                message says which and how to fix it).
        """
        if task in self._loaded:
            return self._loaded[task]
        why = self.missing(task)
        if why:
            raise ValueError(why)
        from mmengine.config import Config

        from umgclip_mm.utils.checkpoint import check_checkpoint_format

        from . import demo_utils
        spec = self.models[task]
        where = f'{spec["config"]} (--{task}-config)'
        try:
            cfg = Config.fromfile(spec['config'])
        except Exception as err:  # a syntax error, a missing _base_
            raise ValueError(f'{where} cannot be read: {type(err).__name__}: {err}')
        if task == 'classification':
            self._prepare_classifier(cfg, where)
        else:
            try:
                demo_utils.prepare_task_config(cfg, DEMO_UTILS_TASKS[task])
            except ValueError as err:
                raise ValueError(f'{where}: {err}')
        ckpt = self.checkpoint_of(task)
        check_checkpoint_format(ckpt, f'give the trained weights of {spec["config"]} with --{task}-checkpoint')
        model = demo_utils.load_task_model(cfg, ckpt, device=self.device, task=DEMO_UTILS_TASKS.get(task, ''))
        self._loaded[task] = model
        return model

    @staticmethod
    def _prepare_classifier(cfg, where: str) -> None:
        """Set a zero-shot classifier's config up for the demo, in place (``prepare_task_config`` does the other
        tasks): at image level (no boxes or masks are given), every weight from the checkpoint."""
        from umgclip_mm.models.classifiers.zero_shot_classifier import ZeroShotClassifier

        from .demo_utils import model_class
        cls = model_class(cfg)
        if cls is None or not issubclass(cls, ZeroShotClassifier):
            raise ValueError(f'{where}: its model ({getattr(cls, "__name__", cfg.model.get("type"))}) is no zero-shot '
                             f'classifier; give an umgclip_mm.ZeroShotClassifier config (e.g. '
                             f'configs/quickstart/zeroshot_synthetic.py with the pretraining checkpoint '
                             f'work_dirs/quickstart/iter_600.pth)')
        cfg.model.levels = ('image', )
        if cfg.model.get('clip') is not None:
            cfg.model.clip.init_cfg = None

    # -- the callback ------------------------------------------------------------------------------------------
    def run(self, image, vocab: str, task: str, stuff: str = '', score_thr: float = 0.3):
        """The page's callback: ``task`` on ``image`` with the classes of ``vocab``.

        Args:
            image: The image (an array: what the page's image box gives; see :func:`to_rgb_uint8`), or ``None``.
            vocab (str): Classes separated by commas (or newlines), synonyms by ``|`` (``"cat|kitten,dog,sky"``).
            task (str): One of :data:`TASKS` (or the page's name of one).
            stuff (str): Comma-separated classes of ``vocab`` that are stuff (panoptic only; the rest are things).
            score_thr (float): Lowest detection score shown (detection only).

        Returns:
            tuple: the overlay (RGB ``uint8``: the image, at the size the models got, with a legend panel on its
            right; ``None`` on bad input), the table (``{'headers': [...], 'data': [[...], ...]}``) and a message
            (Markdown). Never raises: bad input and failures come back as the message.
        """
        task = {v: k for k, v in TASKS.items()}.get(task, task)
        vocab, stuff = ((text or '').replace('\n', ',') for text in (vocab, stuff))  # a class per line works too
        if task not in TASKS:
            return None, dict(headers=[], data=[]), f'**Error:** unknown task {task!r}; choose one of {list(TASKS)}.'
        try:
            img, notes = to_rgb_uint8(image, self.max_side)
            if not vocab.strip(' ,|\t'):
                raise ValueError('The vocabulary is empty: type the classes to look for, separated by commas, '
                                 'synonyms by "|" (e.g. "cat|kitten, dog, sky").')
            if task == 'detection' and not 0 <= float(score_thr) <= 1:
                raise ValueError(f'Score threshold {score_thr}: give a score from 0 to 1.')
            with self._lock:
                loaded = task in self._loaded
                start = time.perf_counter()
                model = self.model(task)
                load_s = time.perf_counter() - start
                with released_visualizers():
                    overlay, table, summary = getattr(self, f'_{task}')(model, img, vocab, stuff, float(score_thr))
                seconds = time.perf_counter() - start - load_s
        except (ValueError, FileNotFoundError, SystemExit) as err:  # the demos' refusals: a message for the user
            return None, empty_table(task), f'**Error:** {page_wording(str(err))}'
        except Exception as err:  # anything else: the message in the page, the traceback in the server's log
            import traceback
            traceback.print_exc()
            return None, empty_table(task), (f'**Error:** the {TASKS[task]} failed: {type(err).__name__}: {err} '
                                             f'(the traceback is in the server\'s log).')
        h, w = img.shape[:2]
        timing = f'{seconds:.1f} s on {self.device}' + ('' if loaded else f'; the model loaded in {load_s:.1f} s')
        message = f'**{TASKS[task].capitalize()}** of a {w} x {h} image: {summary} ({timing}).'
        if notes:
            message += '\n\nNote: ' + '; '.join(notes) + '.'
        return overlay, table, message

    # -- per task ----------------------------------------------------------------------------------------------
    def _predict(self, model, img: np.ndarray):
        """The model's prediction for ``img`` through its config's test pipeline (the command-line demos' path: the
        image goes through an image file)."""
        import mmcv

        from .demo_utils import predict_image
        with tempfile.TemporaryDirectory(prefix='umgclip_web_demo_') as tmp:
            path = osp.join(tmp, 'image.png')
            mmcv.imwrite(img[..., ::-1], path)  # mmcv writes BGR
            return predict_image(model, path)

    def _semantic(self, model, img, vocab, stuff, score_thr):
        from .demo_utils import vocabulary_entries

        # two classes at least: every pixel takes one of them (ov_semseg.py's rule)
        model.set_test_vocabulary(vocabulary_entries(vocab, min_classes=2))
        names = model.test_vocab.names
        result = self._predict(model, img)
        if 'pred_sem_seg' not in result:
            raise ValueError('the model gave no semantic segmentation (pred_sem_seg): give a semantic segmentation '
                             'config with --semantic-config')
        labels = result.pred_sem_seg.data[0].cpu().numpy()
        if labels.shape != img.shape[:2]:
            import mmcv
            labels = mmcv.imresize(labels.astype(np.int32), img.shape[1::-1], interpolation='nearest')
        semseg = demo_script('ov_semseg')
        shares = semseg.class_shares(labels, names)
        canvas = semseg.draw(img, labels, names, shares, self.opacity)
        data = [[s['name'], s['pixels'], round(100 * s['fraction'], 2)] for s in shares]
        return canvas, dict(headers=list(TABLE_HEADERS['semantic']), data=data), \
            f'{len(shares)} of {len(names)} classes present'

    def _panoptic(self, model, img, vocab, stuff, score_thr):
        import argparse

        from mmdet.visualization import DetLocalVisualizer

        from . import demo_drawing
        panoptic = demo_script('ov_panoptic')
        things, stuff_entries = panoptic.read_vocab(argparse.Namespace(vocab=vocab, vocab_file=None, stuff=stuff))
        model.set_test_vocabulary(dict(thing_classes=things, stuff_classes=stuff_entries))
        vocabulary = model.test_vocab
        names = vocabulary.names
        result = self._predict(model, img)
        if 'pred_panoptic_seg' not in result:
            raise ValueError('the model gave no panoptic segmentation (pred_panoptic_seg): give a panoptic config with '
                             '--panoptic-config')
        pan = result.pred_panoptic_seg.sem_seg[0].cpu().numpy()
        segments = sorted(panoptic.segments_of(pan, names, vocabulary.num_things), key=lambda s: -s['area'])
        palette = demo_drawing.distinct_palette(len(names))
        kinds = f'{vocabulary.num_things} things, {len(names) - vocabulary.num_things} stuff'
        if not segments:  # mmdet's visualizer cannot draw an empty map
            canvas = demo_drawing.add_legend(img, [], title='no segment of this vocabulary found')
            return canvas, empty_table('panoptic'), f'no segment of the {len(names)} classes ({kinds}) found'
        vis = DetLocalVisualizer(name=f'umgclip_web_panoptic_{id(result)}')
        vis.dataset_meta = dict(classes=names, thing_classes=vocabulary.thing_classes,
                                stuff_classes=vocabulary.stuff_classes, palette=palette)
        vis.add_datasample('web_panoptic', img, result, draw_gt=False, show=False)
        total = float(pan.size)
        area = {}
        for s in segments:
            area[s['category_id']] = area.get(s['category_id'], 0) + s['area']
        rows = [(palette[c], names[c], f'{100 * a / total:.1f}%') for c, a in sorted(area.items(), key=lambda x: -x[1])]
        canvas = demo_drawing.add_legend(vis.get_image(), rows, title='class: area')
        data = [[i + 1, s['label'], 'thing' if s['isthing'] else 'stuff', s['area'], round(100 * s['area'] / total, 2),
                 _box_text(s['bbox'])] for i, s in enumerate(segments)]
        return canvas, dict(headers=list(TABLE_HEADERS['panoptic']), data=data), \
            f'{_count(len(segments), "segment")} of {len(area)} of the {len(names)} classes ({kinds})'

    def _detection(self, model, img, vocab, stuff, score_thr):
        from . import demo_drawing
        from .demo_utils import vocabulary_entries
        entries = vocabulary_entries(vocab)
        model.set_test_vocabulary(entries)
        names = model.test_vocab.names
        result = self._predict(model, img)
        if 'pred_instances' not in result:
            raise ValueError('the model gave no detections (pred_instances): give a detection config with '
                             '--detection-config')
        detections_of = demo_script('ov_detection').detections_of
        dets, boxes, labels, masks = detections_of(result.pred_instances, names, score_thr)
        palette = demo_drawing.distinct_palette(len(names))
        order = slice(None, None, -1)  # the best drawn last, on top
        texts = [f'{d["name"]} {d["score"]:.2f}' for d in dets]
        colours = [palette[int(lab)] for lab in labels]
        drawn = demo_drawing.draw_detections(img, boxes[order], texts[order], colours[order],
                                             None if masks is None else masks[order])
        counts = {}
        for lab in labels:
            counts[int(lab)] = counts.get(int(lab), 0) + 1
        rows = [(palette[c], names[c], str(n)) for c, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]
        title = 'class: detections' if dets else f'no detection scoring {score_thr:g} or more'
        canvas = demo_drawing.add_legend(drawn, rows, title=title)
        data = [[d['name'], d['score'], _box_text(d['box']), d.get('mask_area', '')] for d in dets]
        summary = (f'{_count(len(dets), "detection")} scoring {score_thr:g} or more, of {len(counts)} of the '
                   f'{len(names)} classes'
                   if dets else f'no detection scoring {score_thr:g} or more: lower the score threshold')
        return canvas, dict(headers=list(TABLE_HEADERS['detection']), data=data), summary

    def _classification(self, model, img, vocab, stuff, score_thr):
        from . import demo_drawing
        from .demo_utils import vocabulary_entries

        # two classes at least: the probabilities are a softmax over the classes
        model.set_test_vocabulary(vocabulary_entries(vocab, min_classes=2))
        names = model.test_vocab.names
        result = self._predict(model, img)
        scores = result.pred_score.detach().float().cpu().numpy()
        order = np.argsort(-scores, kind='stable')
        palette = demo_drawing.distinct_palette(len(names))
        shown = order[:5]
        rows = [(palette[int(c)], names[int(c)], f'{scores[c]:.2f}') for c in shown]
        canvas = demo_drawing.add_legend(img, rows, title=f'top {len(shown)}: probability')
        data = [[rank + 1, names[int(c)], round(float(scores[c]), 4)] for rank, c in enumerate(order)]
        return canvas, dict(headers=list(TABLE_HEADERS['classification']), data=data), \
            f'{names[int(order[0])]} ({scores[order[0]]:.2f}) among {len(names)} classes'
