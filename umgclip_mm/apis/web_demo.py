"""The web demo's callbacks (``tools/demo/app.py`` builds the page around them, as mmpretrain's gradio demo): an
image and a vocabulary typed in a text box go in; the drawing with a legend, a table of the segments, classes, boxes
or scores, and a message come out, for four tasks (panoptic and semantic segmentation, detection, zero-shot
classification); the search tab's and the grounding section's are :class:`~umgclip_mm.apis.web_search.WebSearch`'s
(``WebDemo.search``). Each task runs an inferencer (:class:`OVDetInferencer`, :class:`OVSegInferencer`, and a
:class:`ZeroShotClassifier` through :func:`~umgclip_mm.apis.init_model`), built the first time the task is asked
for and kept: the drawing and the JSON fields are the command-line demo's for the same image and vocabulary.

Bad input never raises: no image, an empty vocabulary, a missing checkpoint, a model that cannot do the task each
come back as a message for the page (only :class:`~umgclip_mm.apis.exceptions.UMGCLIPError`; anything else is a bug
and propagates). 16-bit, float, RGBA and grayscale images are converted to 8-bit RGB and huge ones downscaled, each
with a note. Nothing here imports gradio.
"""
import os.path as osp
import threading
import time
from typing import Dict, List, Optional, Tuple

import numpy as np

from .exceptions import InputError, MissingFileError, UMGCLIPError
from .inputs import TOY_WEIGHTS_NOTE, latest_checkpoint, vocabulary_entries
from .web_inputs import MAX_SIDE, to_rgb_uint8

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: The tasks, in the page's order: name -> what the page calls it.
TASKS = {
    'panoptic': 'panoptic segmentation',
    'semseg': 'semantic segmentation',
    'detection': 'detection',
    'zeroshot': 'zero-shot classification',
}
#: The tasks' former names (the glossary's are :data:`TASKS`' keys): still taken, with a warning.
DEPRECATED_TASKS = {'semantic': 'semseg', 'classification': 'zeroshot'}
#: The quickstart's models (``make quickstart`` trains them): config, checkpoint (a file, or a work dir whose latest
#: checkpoint is taken), relative to the repository root.
DEFAULT_MODELS = {
    'panoptic': ('configs/quickstart/panoptic_synthetic.py', 'work_dirs/quickstart_panoptic/iter_1000.pth'),
    'semseg': ('configs/quickstart/semseg_synthetic.py', 'work_dirs/quickstart_semseg'),
    'detection': ('configs/quickstart/detection_synthetic.py', 'work_dirs/quickstart_detection'),
    'zeroshot': ('configs/quickstart/zeroshot_synthetic.py', 'work_dirs/quickstart/iter_600.pth'),
}
#: The columns of each task's table (the panoptic boxes as COCO's, as ``tools/demo/ov_panoptic.py`` writes them).
TABLE_HEADERS = {
    'panoptic': ('segment', 'class', 'kind', 'area (px)', 'area (%)', 'box x, y, width, height'),
    'semseg': ('class', 'pixels', 'share (%)'),
    'detection': ('class', 'score', 'box x1, y1, x2, y2', 'mask area (px)'),
    'zeroshot': ('rank', 'class', 'probability'),
}


def deprecated_task(task: str) -> str:
    """``task`` in the glossary's words: a former name (:data:`DEPRECATED_TASKS`) becomes the new one, with a
    warning."""
    if task in DEPRECATED_TASKS:
        import warnings
        warnings.warn(f'the task {task!r} is now called {DEPRECATED_TASKS[task]!r} (docs/architecture.md\'s '
                      'glossary)', DeprecationWarning, stacklevel=3)
        return DEPRECATED_TASKS[task]
    return task


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


def _count(n: int, word: str) -> str:
    return f'{n} {word}' + ('' if n == 1 else 's')


def _box_text(box) -> str:
    return ', '.join(f'{float(v):.0f}' for v in box)


class WebDemo:
    """The web demo's callbacks: one inferencer per task, built from its config and checkpoint on first use and
    kept.

    Args:
        models (dict, optional): Per task (:data:`TASKS`), ``(config, checkpoint)``; a checkpoint may be a work dir
            (its latest checkpoint is taken). Tasks left out take :data:`DEFAULT_MODELS` (the quickstart's; paths
            relative to the repository root).
        device (str): ``'cpu'`` or ``'cuda[:N]'``.
        max_side (int): Longest image side the models get; larger images are downscaled with a note.
        opacity (float): Opacity of the semantic class colours.
        search_index (str, optional): The search tab's index folder (:class:`WebSearch`; default: the
            quickstart's, :data:`~umgclip_mm.apis.web_search.DEFAULT_SEARCH_INDEX`).
        search_model (tuple, optional): ``(config, checkpoint)`` of the UMG-CLIP of the search tab and the
            grounding section (default: the index's, else the quickstart's pretraining).
    """

    def __init__(self, models: Optional[Dict[str, Tuple[str, str]]] = None, device: str = 'cpu',
                 max_side: int = MAX_SIDE, opacity: float = 0.5, search_index: Optional[str] = None,
                 search_model: Optional[Tuple[str, str]] = None):
        models = {deprecated_task(task): spec for task, spec in (models or {}).items()}
        unknown = set(models) - set(TASKS)
        if unknown:
            raise InputError(f'WebDemo: unknown tasks {sorted(unknown)}; the tasks are {list(TASKS)}')
        self.models = {task: dict(config=osp.join(REPO, config), checkpoint=osp.join(REPO, checkpoint), default=True)
                       for task, (config, checkpoint) in DEFAULT_MODELS.items()}
        for task, (config, checkpoint) in (models or {}).items():
            self.models[task] = dict(config=config, checkpoint=checkpoint, default=False)
        self.device, self.max_side, self.opacity = device, max_side, opacity
        self._loaded = {}
        self._lock = threading.Lock()  # one prediction at a time: the models' vocabularies are shared state
        from .web_search import WebSearch
        self.search = WebSearch(search_index, search_model, device, max_side)

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
        """A line per task (and for the search tab's model and index): its config and checkpoint, or what is
        missing."""
        return [f'{TASKS[task]}: ' + (self.missing(task) or f'{osp.relpath(self.models[task]["config"], REPO)} with '
                                                            f'{osp.relpath(self.checkpoint_of(task), REPO)}')
                for task in TASKS] + self.search.status()

    def banner(self) -> Optional[str]:
        """What the page says above everything when a task runs the quickstart's toy models, else ``None``."""
        toy = [TASKS[t] for t, spec in self.models.items() if spec['default']]
        toy += ['search and grounding'] if self.search.toy else []
        return f'**Toy models** ({", ".join(toy)}). {TOY_WEIGHTS_NOTE}' if toy else None

    def inferencer(self, task: str):
        """``task``'s inferencer, built on first use.

        Raises:
            UMGCLIPError: A missing file, a checkpoint that does not fit, a model that cannot do the task (the
                message says which and how to fix it).
        """
        if task in self._loaded:
            return self._loaded[task]
        why = self.missing(task)
        if why:
            raise MissingFileError(why)
        from .inferencers import OVDetInferencer, OVSegInferencer, ZeroShotInferencer
        spec, ckpt = self.models[task], self.checkpoint_of(task)
        try:
            if task == 'zeroshot':
                inferencer = ZeroShotInferencer(spec['config'], ckpt, device=self.device)
            elif task == 'semseg':
                inferencer = OVSegInferencer(spec['config'], ckpt, device=self.device, opacity=self.opacity)
            else:
                inferencer = OVDetInferencer(spec['config'], ckpt, task=task, device=self.device)
        except UMGCLIPError as err:
            raise type(err)(f'{spec["config"]} (--{task}-config): {err}') from err
        self._loaded[task] = inferencer
        return inferencer

    # -- the callback ------------------------------------------------------------------------------------------
    def run(self, image, vocab: str, task: str, stuff: str = '', score_thr: float = 0.3, progress=None):
        """The page's callback: ``task`` on ``image`` with the classes of ``vocab``.

        Args:
            image: The image (an array: what the page's image box gives; see :func:`to_rgb_uint8`), or ``None``.
            vocab (str): Classes separated by commas (or newlines), synonyms by ``|`` (``"cat|kitten,dog,sky"``).
            task (str): One of :data:`TASKS` (or the page's name of one).
            stuff (str): Comma-separated classes of ``vocab`` that are stuff (panoptic only; the rest are things).
            score_thr (float): Lowest detection score shown (detection only).
            progress (callable, optional): Given the vocabulary encoder's ``EncodingProgress`` while a new
                vocabulary is encoded (the page's progress bar).

        Returns:
            tuple: the drawing (RGB ``uint8``: the image, at the size the models got, with a legend panel on its
            right; ``None`` on bad input), the table (``{'headers': [...], 'data': [[...], ...]}``) and a message
            (Markdown).
        """
        task = deprecated_task({v: k for k, v in TASKS.items()}.get(task, task))
        vocab, stuff = ((text or '').replace('\n', ',') for text in (vocab, stuff))  # a class per line works too
        if task not in TASKS:
            return None, dict(headers=[], data=[]), f'**Error:** unknown task {task!r}; choose one of {list(TASKS)}.'
        try:
            img, notes = to_rgb_uint8(image, self.max_side)
            if not vocab.strip(' ,|\t'):
                raise InputError('The vocabulary is empty: type the classes to look for, separated by commas, '
                                 'synonyms by "|" (e.g. "cat|kitten, dog, sky").')
            if task == 'detection' and not 0 <= float(score_thr) <= 1:
                raise InputError(f'Score threshold {score_thr}: give a score from 0 to 1.')
            with self._lock:
                loaded = task in self._loaded
                start = time.perf_counter()
                inferencer = self.inferencer(task)
                load_s = time.perf_counter() - start
                encoder = inferencer.model.vocab_encoder
                encoder.progress_callback = progress
                try:
                    drawing, table, summary = self.predict(inferencer, task, img, vocab, stuff, float(score_thr))
                finally:
                    encoder.progress_callback = None
                seconds = time.perf_counter() - start - load_s
        except UMGCLIPError as err:  # the refusals: a message for the user
            return None, empty_table(task), f'**Error:** {page_wording(str(err))}'
        h, w = img.shape[:2]
        timing = f'{seconds:.1f} s on {self.device}' + ('' if loaded else f'; the model loaded in {load_s:.1f} s')
        message = f'**{TASKS[task].capitalize()}** of a {w} x {h} image: {summary} ({timing}).'
        if notes:
            message += '\n\nNote: ' + '; '.join(notes) + '.'
        return drawing, table, message

    @staticmethod
    def vocabulary(task: str, vocab: str, stuff: str) -> Tuple[List[str], List[str]]:
        """``(texts, stuff texts)`` of the page's boxes (panoptic: the stuff box moves its classes of the
        vocabulary; semseg and zeroshot: at least two classes)."""
        texts = vocabulary_entries(vocab, min_classes=2 if task in ('semseg', 'zeroshot') else 1)
        if task != 'panoptic':
            return texts, []
        names = {s.strip() for s in stuff.split(',') if s.strip()}
        unknown = names - {e.split('|')[0] for e in texts}
        if unknown:
            raise InputError(f'--stuff names {sorted(unknown)}, which are not classes of --vocab / --vocab-file')
        return [e for e in texts if e.split('|')[0] not in names], [e for e in texts if e.split('|')[0] in names]

    def predict(self, inferencer, task: str, img: np.ndarray, vocab: str, stuff: str, score_thr: float):
        """``(drawing, table, summary)`` of one request: the inferencer's call on ``img`` (RGB; given as BGR, as
        mmdet's inferencers take arrays), its drawing and its JSON fields as table rows."""
        texts, stuff_texts = self.vocabulary(task, vocab, stuff)
        kwargs = dict(pred_score_thr=score_thr) if task in ('panoptic', 'detection') else {}
        if task == 'panoptic':
            kwargs['stuff_texts'] = stuff_texts
        out = inferencer(np.ascontiguousarray(img[..., ::-1]), texts=texts, return_vis=True, **kwargs)
        fields, drawing = out['predictions'][0], out['visualization'][0]
        return (drawing, ) + getattr(self, f'_{task}_table')(fields, img.size // 3, score_thr)

    # -- tables ------------------------------------------------------------------------------------------------
    @staticmethod
    def _panoptic_table(fields: dict, total: int, score_thr: float):
        segments, names = fields['segments'], fields['classes']
        kinds = f'{fields["num_things"]} things, {len(names) - fields["num_things"]} stuff'
        if not segments:
            return empty_table('panoptic'), f'no segment of the {len(names)} classes ({kinds}) found'
        data = [[i + 1, s['label'], 'thing' if s['isthing'] else 'stuff', s['area'], round(100 * s['area'] / total, 2),
                 _box_text(s['bbox'])] for i, s in enumerate(segments)]
        found = len({s['category_id'] for s in segments})
        return dict(headers=list(TABLE_HEADERS['panoptic']), data=data), \
            f'{_count(len(segments), "segment")} of {found} of the {len(names)} classes ({kinds})'

    @staticmethod
    def _semseg_table(fields: dict, total: int, score_thr: float):
        present, names = fields['present'], fields['classes']
        data = [[s['name'], s['pixels'], round(100 * s['fraction'], 2)] for s in present]
        return dict(headers=list(TABLE_HEADERS['semseg']), data=data), \
            f'{len(present)} of {len(names)} classes present'

    @staticmethod
    def _detection_table(fields: dict, total: int, score_thr: float):
        dets, names = fields['detections'], fields['classes']
        data = [[d['name'], d['score'], _box_text(d['box']), d.get('mask_area', '')] for d in dets]
        found = len({d['label'] for d in dets})
        summary = (f'{_count(len(dets), "detection")} scoring {score_thr:g} or more, of {found} of the '
                   f'{len(names)} classes' if dets else
                   f'no detection scoring {score_thr:g} or more: lower the score threshold')
        return dict(headers=list(TABLE_HEADERS['detection']), data=data), summary

    @staticmethod
    def _zeroshot_table(fields: dict, total: int, score_thr: float):
        ranked, names = fields['scores'], fields['classes']
        data = [[rank + 1, s['name'], round(s['score'], 4)] for rank, s in enumerate(ranked)]
        return dict(headers=list(TABLE_HEADERS['zeroshot']), data=data), \
            f'{ranked[0]["name"]} ({ranked[0]["score"]:.2f}) among {len(names)} classes'
