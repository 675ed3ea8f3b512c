"""The web demo's search tab and grounding section (``tools/demo/app.py`` builds the page around them): a text or an
example region (a box on an uploaded image) searched in an index folder built by ``tools/search/build_index.py``,
the hits as thumbnails with their box or mask drawn and their score (:func:`umgclip_mm.search.hit_grid.draw_hit`, as
``tools/search/query.py --out-dir`` draws them); and a phrase grounded in an uploaded image
(:meth:`UMGCLIPInferencer.ground` over sliding windows), drawn with its best regions and a table of scores.

The UMG-CLIP is loaded once, on first use, and serves both; the index is opened on first use. Bad input never
raises: a missing index or checkpoint, an empty query, a box outside the image come back as a message for the page
(:class:`~umgclip_mm.apis.exceptions.UMGCLIPError` and the search's typed errors only). Nothing here imports gradio.
"""
import os.path as osp
import threading
import time
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .exceptions import InputError, MissingFileError, UMGCLIPError
from .web_inputs import MAX_SIDE, to_rgb_uint8

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: The quickstart's pretraining (``make quickstart``): the model of the search tab and the grounding section.
DEFAULT_SEARCH_MODEL = ('configs/quickstart/pretrain_synthetic.py', 'work_dirs/quickstart/iter_600.pth')
#: Where the page looks for an index when none is given (relative to the repository root).
DEFAULT_SEARCH_INDEX = 'work_dirs/quickstart_search/index'
#: What :data:`DEFAULT_SEARCH_INDEX` is built from: the held-out toy scenes.
TOY_COLLECTION = 'data/synthetic/umg/val.jsonl'
LEVELS = ('image', 'region', 'mask', 'all')
#: Side of a hit's thumbnail in the gallery (pixels).
THUMB_SIDE = 192
HIT_HEADERS = ('rank', 'score', 'level', 'image', 'box x1, y1, x2, y2')
GROUND_HEADERS = ('rank', 'score', 'level', 'window or mask', 'box x1, y1, x2, y2')


def _box_text(box) -> str:
    return '' if box is None else ', '.join(f'{float(v):.0f}' for v in box)


def _table(headers: Sequence[str], data: Optional[list] = None) -> dict:
    return dict(headers=list(headers), data=data or [])


class WebSearch:
    """The callbacks of the search tab and of the grounding section.

    Args:
        index_dir (str, optional): The index folder (default :data:`DEFAULT_SEARCH_INDEX`).
        model (tuple, optional): ``(config, checkpoint)`` of the UMG-CLIP (a checkpoint may be a work dir: its
            latest). Default: the model the index was built with (its manifest's paths), else
            :data:`DEFAULT_SEARCH_MODEL`.
        device (str): ``'cpu'`` or ``'cuda[:N]'``.
        max_side (int): Longest side of an uploaded image; larger ones are downscaled with a note.
    """

    def __init__(self, index_dir: Optional[str] = None, model: Optional[Tuple[str, str]] = None,
                 device: str = 'cpu', max_side: int = MAX_SIDE):
        self.index_dir = index_dir or osp.join(REPO, DEFAULT_SEARCH_INDEX)
        self.index_default = index_dir is None
        recorded = self._manifest_model() if model is None else None
        self.model_default = model is None and recorded is None  # the quickstart's pretraining
        if model is None:
            model = recorded or tuple(osp.join(REPO, p) for p in DEFAULT_SEARCH_MODEL)
        self.config, self.checkpoint = model
        self.device, self.max_side = device, max_side
        self._inferencer = self._index = None
        self._lock = threading.Lock()

    # -- files -------------------------------------------------------------------------------------------------
    def _manifest_model(self) -> Optional[Tuple[str, str]]:
        """The config and checkpoint the index records, where both files are still there."""
        import json
        path = osp.join(self.index_dir, 'manifest.json')
        if not osp.isfile(path):
            return None
        with open(path) as f:
            try:
                model = json.load(f).get('model', {})
            except json.JSONDecodeError:
                return None  # SearchIndex says what is wrong with it when the tab is used
        files = tuple(osp.normpath(osp.join(self.index_dir, model.get(k + '_path', ''))) if model.get(k + '_path')
                      else None for k in ('config', 'checkpoint'))
        return files if all(f and osp.isfile(f) for f in files) else None

    @property
    def toy(self) -> bool:
        """Whether the model is one of the quickstart's (``configs/quickstart/``): the page says what it is worth."""
        from .inputs import is_toy_config
        return is_toy_config(self.config)

    def build_command(self) -> str:
        """The command that builds an index of the held-out toy scenes with the page's model."""
        rel = [osp.relpath(p, REPO) if p else p for p in (self.index_dir, self.config, self.checkpoint)]
        return (f'python tools/search/build_index.py {TOY_COLLECTION} {rel[0]} --config {rel[1]} --checkpoint '
                f'{rel[2]}')

    def model_missing(self) -> Optional[str]:
        """Why the model cannot be loaded for want of a file (with the command that makes it), or ``None``."""
        from .inputs import latest_checkpoint
        if not osp.isfile(self.config):
            return f'The search model\'s config {self.config} does not exist: start the app with --search-config FILE.'
        if not osp.isfile(latest_checkpoint(self.checkpoint)):
            if self.model_default:
                return (f'The search model\'s checkpoint {self.checkpoint} does not exist: run `make quickstart` in '
                        f'{REPO} to train the quickstart\'s models, or start the app with --search-checkpoint.')
            return (f'The search model\'s checkpoint {self.checkpoint} does not exist: give the UMG-CLIP weights with '
                    '--search-checkpoint.')
        return None

    def index_missing(self) -> Optional[str]:
        """Why there is no index to search (with the command that builds one), or ``None``."""
        if osp.isfile(osp.join(self.index_dir, 'manifest.json')):
            return None
        where = 'The quickstart\'s search index' if self.index_default else 'The search index'
        return (f'{where} {self.index_dir} does not exist. Build it (about a minute on CPU for the 100 held-out toy '
                f'scenes) with\n\n    {self.build_command()}\n\nthen reload the app, or start it with '
                '--search-index DIR (an index folder tools/search/build_index.py wrote).')

    def status(self) -> List[str]:
        """A line each for the search model and the index: the files, or what is missing."""
        model = self.model_missing() or (f'{osp.relpath(self.config, REPO)} with '
                                         f'{osp.relpath(self.checkpoint, REPO)}')
        index = self.index_missing()
        return [f'search and grounding: {model}',
                f'search index: {index.splitlines()[0] if index else osp.relpath(self.index_dir, REPO)}']

    # -- models ------------------------------------------------------------------------------------------------
    def inferencer(self):
        """The :class:`UMGCLIPInferencer` of the search model, built on first use.

        Raises:
            UMGCLIPError: A missing file or a checkpoint that does not fit the config.
        """
        if self._inferencer is None:
            why = self.model_missing()
            if why:
                raise MissingFileError(why)
            from .inferencers import UMGCLIPInferencer
            from .inputs import latest_checkpoint
            try:
                self._inferencer = UMGCLIPInferencer(self.config, latest_checkpoint(self.checkpoint),
                                                     device=self.device, channel_order='rgb')
            except UMGCLIPError as err:
                raise type(err)(f'{self.config} (--search-config): {err}') from err
        return self._inferencer

    def index(self):
        """The :class:`~umgclip_mm.search.SearchIndex`, opened on first use with the model's embeddings (checked to
        be the model the index was built with).

        Raises:
            MissingFileError: No index folder.
            SearchIndexError: An index that is not complete, or of another model.
        """
        if self._index is None:
            why = self.index_missing()
            if why:
                raise MissingFileError(why)
            from umgclip_mm.search import RegionEmbedder, SearchIndex, index_model_files
            from .inputs import latest_checkpoint
            clip = self.inferencer().clip
            index = SearchIndex(self.index_dir)
            index_model_files(self.index_dir, index.manifest, self.config, latest_checkpoint(self.checkpoint),
                              flag_prefix='--search-')
            index.embedder = RegionEmbedder(clip, img_size=index.manifest['model']['img_size'])
            self._index = index
        return self._index

    # -- the callbacks -----------------------------------------------------------------------------------------
    def _gallery(self, index, hits) -> List[Tuple[np.ndarray, str]]:
        """A ``(RGB thumbnail, caption)`` per hit: the image letterboxed with the box outlined or the mask tinted
        (:func:`~umgclip_mm.search.hit_grid.draw_hit`'s tile less its text strip: the caption says rank, level, score
        and image)."""
        from umgclip_mm.search import read_image
        from umgclip_mm.search.hit_grid import draw_hit
        out = []
        for rank, hit in enumerate(hits, 1):
            tile = draw_hit(read_image(osp.join(index.data_root, hit.key)), hit, THUMB_SIDE)[:THUMB_SIDE]
            out.append((np.ascontiguousarray(tile[..., ::-1]),
                        f'#{rank} {hit.level} {hit.score:.3f} {osp.basename(hit.key)}'))
        return out

    def _run_search(self, what: str, query):
        """``(gallery, table, message)`` of ``query()`` (the hits), every refusal as a message."""
        from umgclip_mm.search import BadImageError, SearchIndexError
        try:
            with self._lock:
                start = time.perf_counter()
                index = self.index()
                loaded_s = time.perf_counter() - start
                hits = query(index)
                seconds = time.perf_counter() - start - loaded_s
                gallery = self._gallery(index, hits)
        except (UMGCLIPError, SearchIndexError, BadImageError) as err:
            return [], _table(HIT_HEADERS), f'**Error:** {err}'
        rows = [[rank, round(h.score, 4), h.level, h.key, _box_text(h.box)] for rank, h in enumerate(hits, 1)]
        counts = index.manifest['counts']
        message = (f'**{len(hits)} hits** for {what} among {counts["images"]} images, {counts["regions"]} regions and '
                   f'{counts["masks"]} masks ({seconds:.2f} s')
        message += ')' if loaded_s < 0.5 else f'; the model and index loaded in {loaded_s:.1f} s)'
        return gallery, _table(HIT_HEADERS, rows), message

    @staticmethod
    def _level_topk(level: str, topk) -> Tuple[str, int]:
        if level not in LEVELS:
            raise InputError(f'Level {level!r}: choose one of {", ".join(LEVELS)}.')
        if topk is None or not 1 <= int(topk) <= 100:
            raise InputError(f'Hits {topk}: give a number from 1 to 100.')
        return level, int(topk)

    def search_text(self, text: str, level: str = 'region', topk: int = 10):
        """The search tab's text query.

        Args:
            text (str): Free-form text.
            level (str): ``'image'``, ``'region'``, ``'mask'`` or ``'all'``.
            topk (int): How many hits (1 to 100).

        Returns:
            tuple: the gallery (``[(RGB thumbnail, caption), ...]``, best first), the table
            (``{'headers', 'data'}``) and a message (Markdown).
        """
        try:
            level, topk = self._level_topk(level, topk)
            if not (text or '').strip():
                raise InputError('The query is empty: type what to look for (e.g. "a red star").')
        except InputError as err:
            return [], _table(HIT_HEADERS), f'**Error:** {err}'
        return self._run_search(f'"{text.strip()}" ({level})',
                                lambda index: index.search_text(text.strip(), level, topk))

    def search_example(self, image, box: Sequence, level: str = 'region', topk: int = 10):
        """The search tab's query by example: the items nearest to a box of an uploaded image.

        Args:
            image: The image (what the page's image box gives: an RGB array), or ``None``.
            box: ``x1, y1, x2, y2`` in the image's pixels.
            level (str): ``'image'``, ``'region'``, ``'mask'`` or ``'all'``.
            topk (int): How many hits (1 to 100).

        Returns:
            tuple: the gallery, the table and a message, as :meth:`search_text`.
        """
        try:
            level, topk = self._level_topk(level, topk)
            img, notes = to_rgb_uint8(image, self.max_side)
            if notes and 'downscaled' in notes[-1]:
                raise InputError(f'The image is larger than {self.max_side} px: give the box on a smaller copy '
                                 '(its pixels are what the box is in).')
            h, w = img.shape[:2]
            if box is None or len(box) != 4 or any(v is None for v in box):
                raise InputError('Give the example box as four numbers x1, y1, x2, y2 (pixels of the image).')
            x1, y1, x2, y2 = (float(v) for v in box)
            if not (0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h):
                raise InputError(f'The box {x1:g}, {y1:g}, {x2:g}, {y2:g} is not inside the {w} x {h} image with '
                                 'x1 < x2 and y1 < y2.')
        except InputError as err:
            return [], _table(HIT_HEADERS), f'**Error:** {err}'
        bgr = np.ascontiguousarray(img[..., ::-1])
        return self._run_search(f'the box {x1:g}, {y1:g}, {x2:g}, {y2:g} of a {w} x {h} image ({level})',
                                lambda index: index.search_region(bgr, [x1, y1, x2, y2], level, topk))

    def ground(self, image, phrase: str, topk: int = 5):
        """The grounding section: ``phrase``'s best sliding windows in an uploaded image.

        Args:
            image: The image (an RGB array), or ``None``.
            phrase (str): Free-form text.
            topk (int): How many regions to draw and list (1 to 20).

        Returns:
            tuple: the drawing (RGB: the image with the regions, best on top, and a legend panel of scores; ``None``
            on bad input), the table and a message.
        """
        empty = _table(GROUND_HEADERS)
        try:
            if topk is None or not 1 <= int(topk) <= 20:
                raise InputError(f'Regions {topk}: give a number from 1 to 20.')
            img, notes = to_rgb_uint8(image, self.max_side)
            if not (phrase or '').strip():
                raise InputError('The phrase is empty: type what to find in the image (e.g. "a red star").')
            with self._lock:
                start = time.perf_counter()
                inferencer = self.inferencer()
                loaded_s = time.perf_counter() - start
                out = inferencer.ground(img, phrase.strip(), topk=int(topk), return_vis=True)
                seconds = time.perf_counter() - start - loaded_s
        except UMGCLIPError as err:
            return None, empty, f'**Error:** {err}'
        pred = out['predictions'][0]
        rows = [[rank, round(h['score'], 4), h['level'], h['item'], _box_text(h['box'])]
                for rank, h in enumerate(pred['hits'], 1)]
        h, w = img.shape[:2]
        message = (f'**Grounding** "{phrase.strip()}" in a {w} x {h} image: the best {len(rows)} of '
                   f'{pred["num_regions"]} sliding windows ({seconds:.2f} s')
        message += ')' if loaded_s < 0.5 else f'; the model loaded in {loaded_s:.1f} s)'
        if notes:
            message += '\n\nNote: ' + '; '.join(notes) + '.'
        return out['visualization'][0], _table(GROUND_HEADERS, rows), message
