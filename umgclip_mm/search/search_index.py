"""SearchIndex: an index folder written by SearchIndexBuilder, opened for queries and phrase grounding."""
import json
import os.path as osp
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from .errors import SearchIndexError
from .faiss_index import read_faiss_index, search_index
from .index_builder import INDEX_FORMAT, INDEX_VERSION, LEVELS

QUERY_LEVELS = LEVELS + ('all', )


@dataclass
class SearchHit:
    """One result: an image, or a box or mask in it, with its cosine score.

    Args:
        score (float): Cosine similarity between the query and the item's embedding.
        level (str): ``'image'``, ``'region'`` or ``'mask'``.
        key (str): The image's path relative to the collection's data root.
        image_id (int): The image's row in the index (over all shards).
        item (int): The item's row in its level (the FAISS id).
        box (list[float], optional): ``[x1, y1, x2, y2]`` in image pixels (a mask's: its bounding box).
        mask (dict, optional): COCO RLE, for mask hits.
    """
    score: float
    level: str
    key: str
    image_id: int
    item: int
    box: Optional[List[float]] = None
    mask: Optional[dict] = None

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def rle_box(rle: dict) -> List[float]:
    """A COCO RLE's bounding box, xyxy."""
    from pycocotools import mask as mask_utils
    x, y, w, h = mask_utils.toBbox(dict(rle, counts=rle['counts'].encode() if isinstance(rle['counts'], str)
                                        else rle['counts'])).tolist()
    return [x, y, x + w, y + h]


class SearchIndex:
    """Query an index folder: nearest items by text or by an example region, at one level or all, and phrase
    grounding in one indexed image from its stored embeddings.

    Args:
        index_dir (str): The folder (its ``manifest.json``).
        embedder (RegionEmbedder, optional): Encodes the queries; needed by :meth:`search_text`,
            :meth:`search_region` and :meth:`ground` (not by :meth:`search`).
        nprobe (int, optional): Lists an IVF-PQ query visits (default: the index's).
        cache_shards (int): Shards kept decoded in memory.

    Raises:
        SearchIndexError: the folder is not a complete index of this version.
    """

    def __init__(self, index_dir: str, embedder=None, nprobe: Optional[int] = None, cache_shards: int = 8):
        path = osp.join(index_dir, 'manifest.json')
        if not osp.isfile(path):
            raise SearchIndexError(f'{index_dir}: no manifest.json; build an index with tools/search/build_index.py')
        with open(path) as f:
            try:
                manifest = json.load(f)
            except json.JSONDecodeError as err:
                raise SearchIndexError(f'{path} is not JSON ({err})') from None
        if manifest.get('format') != INDEX_FORMAT or manifest.get('version') != INDEX_VERSION:
            raise SearchIndexError(f'{path}: format {manifest.get("format")!r} version {manifest.get("version")!r}, '
                                   f'expected {INDEX_FORMAT!r} version {INDEX_VERSION}: build the index again')
        if not manifest.get('complete'):
            raise SearchIndexError(f'{index_dir}: the build is not complete ({len(manifest.get("shards", []))} of '
                                   f'{manifest.get("num_shards")} shards): run tools/search/build_index.py again '
                                   'with the same arguments, it resumes')
        self.index_dir, self.manifest, self.embedder = index_dir, manifest, embedder
        if embedder is not None and embedder.embed_dims != manifest['model']['embed_dims']:
            raise SearchIndexError(f'{index_dir} holds {manifest["model"]["embed_dims"]}-d embeddings but the model '
                                   f'gives {embedder.embed_dims}-d: query with the model the index was built with '
                                   f'({manifest["model"].get("config")}, {manifest["model"].get("checkpoint")})')
        self.shards = manifest['shards']
        self.faiss = {lv: read_faiss_index(osp.join(index_dir, info['file']), nprobe)
                      for lv, info in manifest['levels'].items()}
        # first global row of each shard, per level (image rows, then items)
        counts = {'image': [s['images'] for s in self.shards], 'region': [s['regions'] for s in self.shards],
                  'mask': [s['masks'] for s in self.shards]}
        self.starts = {lv: np.concatenate([[0], np.cumsum(c)]).astype(np.int64) for lv, c in counts.items()}
        self._cache: 'OrderedDict[int, dict]' = OrderedDict()
        self.cache_shards = cache_shards

    @property
    def data_root(self) -> str:
        """The collection's folder (where the images were), resolved against the index folder."""
        return osp.normpath(osp.join(self.index_dir, self.manifest['collection']['data_root']))

    def __len__(self) -> int:
        return int(self.starts['image'][-1])

    # ------------------------------------------------------------------ shards
    def _shard(self, s: int) -> dict:
        if s in self._cache:
            self._cache.move_to_end(s)
            return self._cache[s]
        base = osp.join(self.index_dir, 'shards', self.shards[s]['name'])
        with np.load(base + '.npz', allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        with open(base + '.jsonl') as f:
            data['records'] = [json.loads(line) for line in f]
        if len(data['records']) != self.shards[s]['images']:
            raise SearchIndexError(f'{base}.jsonl has {len(data["records"])} images, its summary says '
                                   f'{self.shards[s]["images"]}: the shard is damaged, delete it and resume the build')
        self._cache[s] = data
        while len(self._cache) > self.cache_shards:
            self._cache.popitem(last=False)
        return data

    def _locate(self, level: str, row: int):
        s = int(np.searchsorted(self.starts[level], row, side='right') - 1)
        return s, int(row - self.starts[level][s])

    def record(self, image_id: int) -> dict:
        """The stored record of image ``image_id``: ``key``, ``height``, ``width``, ``boxes``, ``masks``."""
        s, i = self._locate('image', image_id)
        return self._shard(s)['records'][i]

    def image_items(self, image_id: int) -> dict:
        """Image ``image_id``'s stored embeddings (float32): ``image`` ``[D]``, ``region`` ``[K, D]``, ``mask``
        ``[M, D]``, with its record."""
        s, i = self._locate('image', image_id)
        data = self._shard(s)
        return dict(record=data['records'][i], image=data['image'][i].astype(np.float32),
                    region=data['region'][data['region_image'] == i].astype(np.float32),
                    mask=data['mask'][data['mask_image'] == i].astype(np.float32))

    def find(self, key: str) -> int:
        """The ``image_id`` of the image named ``key`` (its path relative to the data root)."""
        for s, summary in enumerate(self.shards):
            for i, rec in enumerate(self._shard(s)['records']):
                if rec['key'] == key:
                    return int(self.starts['image'][s] + i)
        raise KeyError(f'{key!r} is not in the index {self.index_dir}')

    def hit(self, level: str, row: int, score: float) -> SearchHit:
        """The :class:`SearchHit` of item ``row`` of ``level``."""
        s, i = self._locate(level, row)
        data = self._shard(s)
        local = i if level == 'image' else int(data[f'{level}_image'][i])
        rec = data['records'][local]
        image_id = int(self.starts['image'][s] + local)
        if level == 'image':
            return SearchHit(score, level, rec['key'], image_id, row)
        first = int(np.searchsorted(data[f'{level}_image'], local))  # items of one image are contiguous
        j = i - first
        if level == 'region':
            return SearchHit(score, level, rec['key'], image_id, row, box=rec['boxes'][j])
        return SearchHit(score, level, rec['key'], image_id, row, box=rle_box(rec['masks'][j]), mask=rec['masks'][j])

    # ------------------------------------------------------------------ queries
    def search(self, query: np.ndarray, level: str = 'region', topk: int = 10) -> List[SearchHit]:
        """The ``topk`` items nearest to an embedding ``[D]`` at ``level`` (``'all'``: every level, merged by
        score)."""
        if level not in QUERY_LEVELS:
            raise ValueError(f'level must be one of {QUERY_LEVELS}, got {level!r}')
        levels = LEVELS if level == 'all' else (level, )
        hits = []
        for lv in levels:
            if lv not in self.faiss or self.faiss[lv].ntotal == 0:
                continue
            scores, ids = search_index(self.faiss[lv], np.asarray(query, np.float32).reshape(1, -1), topk)
            hits += [self.hit(lv, int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]
        return sorted(hits, key=lambda h: -h.score)[:topk]

    def _need_embedder(self):
        if self.embedder is None:
            raise ValueError('this SearchIndex has no embedder: open it with SearchIndex(dir, embedder=...) to '
                             'encode queries')
        return self.embedder

    def search_text(self, text: str, level: str = 'region', topk: int = 10) -> List[SearchHit]:
        """The ``topk`` items nearest to a text's embedding (``encode_text``)."""
        return self.search(self._need_embedder().encode_text([text])[0], level, topk)

    def search_region(self, img: np.ndarray, box: Sequence[float], level: str = 'region',
                      topk: int = 10) -> List[SearchHit]:
        """The ``topk`` items nearest to the embedding of a box (xyxy pixels) of a BGR image (``encode_regions``)."""
        emb = self._need_embedder().embed_images([img], [np.asarray(box, np.float32).reshape(1, 4)], [[]])[0]
        return self.search(emb['region'][0], level, topk)

    def ground(self, image: Union[int, str], phrase: str, level: str = 'all', topk: int = 5) -> List[SearchHit]:
        """Phrase grounding in one indexed image: its stored regions and masks (``level``: ``'region'``,
        ``'mask'`` or ``'all'``) ranked by cosine with the phrase's embedding.

        Args:
            image (int | str): ``image_id`` or key.
            phrase (str): Free-form text.
            level (str): Which items compete.
            topk (int): How many to return.
        """
        image_id = self.find(image) if isinstance(image, str) else int(image)
        query = self._need_embedder().encode_text([phrase])[0]
        items = self.image_items(image_id)
        s, i = self._locate('image', image_id)
        data = self._shard(s)
        hits = []
        for lv in (('region', 'mask') if level == 'all' else (level, )):
            if lv not in ('region', 'mask'):
                raise ValueError(f"grounding ranks regions and masks: level must be 'region', 'mask' or 'all', "
                                 f'got {level!r}')
            first = int(self.starts[lv][s] + np.searchsorted(data[f'{lv}_image'], i))
            scores = items[lv] @ query
            hits += [self.hit(lv, first + j, float(scores[j])) for j in np.argsort(-scores)[:topk]]
        return sorted(hits, key=lambda h: -h.score)[:topk]


def index_model_files(index_dir: str, manifest: dict, config: Optional[str] = None,
                      checkpoint: Optional[str] = None, flag_prefix: str = '--'):
    """The config and checkpoint to encode an index's queries with: the given ones, else those the index was built
    with (their paths relative to the index folder, as the manifest records them); a checkpoint whose SHA-256 is not
    the manifest's is refused (its embeddings would not match the index's).

    Args:
        index_dir (str): The index folder.
        manifest (dict): Its manifest.
        config, checkpoint (str, optional): The files given (default: the manifest's).
        flag_prefix (str): How the messages name the options that give them (``--config``, ``--checkpoint``).

    Returns:
        tuple: ``(config, checkpoint)`` paths (``checkpoint`` ``None`` for an index of random weights).

    Raises:
        SearchIndexError: The file is missing or is another checkpoint; the message says which flag gives it.
    """
    from .index_files import file_sha256
    model = manifest['model']
    config = config or (osp.join(index_dir, model['config_path']) if model.get('config_path') else None)
    checkpoint = checkpoint or (osp.join(index_dir, model['checkpoint_path']) if model.get('checkpoint_path')
                                else None)
    if config is None or not osp.isfile(config):
        raise SearchIndexError(f'the config the index was built with ({model.get("config")}) is not at {config}: '
                               f'give {flag_prefix}config')
    if model.get('checkpoint_sha256'):
        if checkpoint is None or not osp.isfile(checkpoint):
            raise SearchIndexError(f'the checkpoint the index was built with ({model.get("checkpoint")}) is not at '
                                   f'{checkpoint}: give {flag_prefix}checkpoint')
        if file_sha256(checkpoint) != model['checkpoint_sha256']:
            raise SearchIndexError(f'{checkpoint} is not the checkpoint the index was built with '
                                   f'({model["checkpoint"]}, SHA-256 {model["checkpoint_sha256"][:12]}...): its '
                                   'embeddings would not match; give that checkpoint or build a new index')
    return config, checkpoint


def ground_phrase(embedder, img: np.ndarray, phrase: str, boxes: np.ndarray,
                  masks: Sequence[dict] = (), topk: int = 5) -> List[Dict]:
    """Phrase grounding in an image that is not indexed: its boxes (and RLE masks) ranked by cosine with the
    phrase, from one forward pass.

    Returns:
        list[dict]: ``level``, ``index`` (into ``boxes`` or ``masks``), ``box`` (xyxy), ``mask`` (RLE, masks
        only) and ``score``, best first.
    """
    emb = embedder.embed_images([img], [np.asarray(boxes, np.float32).reshape(-1, 4)], [list(masks)])[0]
    query = embedder.encode_text([phrase])[0]
    out = [dict(level='region', index=j, box=[float(v) for v in boxes[j]], score=float(s))
           for j, s in enumerate(emb['region'] @ query)]
    out += [dict(level='mask', index=j, box=rle_box(masks[j]), mask=masks[j], score=float(s))
            for j, s in enumerate(emb['mask'] @ query)]
    return sorted(out, key=lambda h: -h['score'])[:topk]
