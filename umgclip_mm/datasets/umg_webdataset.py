"""UMGWebDataset: UMG-41M's own layout, one JSON beside each image, streamed from tar shards or folders."""
import glob
import json
import os.path as osp
from typing import Callable, Iterator, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import Compose
from mmengine.dist import get_dist_info
from torch.utils.data import IterableDataset, get_worker_info

from umgclip_mm.registry import DATASETS
from .skip_report import SKIPS

IMAGE_EXTS = ('jpg', 'jpeg', 'png', 'webp', 'bmp')


def umg41m_record(meta: dict) -> dict:
    """Map one per-image JSON of the released UMG-41M to our record (docs/data_format.md).

    The release's field names are not published. This function is the one place to adapt once the real files are
    at hand; it accepts our own field names and these aliases: ``caption`` (a string) for ``captions``,
    ``objects`` for ``regions``, ``segments`` for ``masks``, ``box`` for ``bbox``, ``caption`` / ``tag`` (strings)
    inside items. ``height``/``width`` may be absent (they are then read off the decoded image).
    """
    def texts(d, plural, singular):
        value = d.get(plural, d.get(singular, []))
        return [value] if isinstance(value, str) else list(value or [])

    def item(d, geometry):
        out = dict(captions=texts(d, 'captions', 'caption'), tags=texts(d, 'tags', 'tag'))
        if geometry == 'bbox':
            out['bbox'] = d.get('bbox', d.get('box'))
        else:
            out['segmentation'] = d.get('segmentation', d.get('mask'))
        return out

    return dict(height=meta.get('height'), width=meta.get('width'), captions=texts(meta, 'captions', 'caption'),
                tags=texts(meta, 'tags', 'tag'),
                regions=[item(r, 'bbox') for r in meta.get('regions', meta.get('objects', [])) or []],
                masks=[item(m, 'segmentation') for m in meta.get('masks', meta.get('segments', [])) or []])


@DATASETS.register_module()
class UMGWebDataset(IterableDataset):
    """Stream (JSON, image) pairs: WebDataset ``.tar`` shards (``webdataset`` package) or folders of files where
    ``x/y/abc.json`` describes ``x/y/abc.jpg``. Each pair becomes a record through ``record_fn`` and runs through the
    pipeline (which starts with ``LoadUMGImage``; the image bytes are decoded in memory). A pair whose JSON is not
    valid, or that the pipeline drops, is skipped and logged with its shard and key.

    Shards (or files) are split across ranks and data loader workers; use ``sampler=None`` in the dataloader config.

    Args:
        urls (str | list[str]): Tar shards (brace patterns and globs allowed, relative to ``data_root``) or one
            folder.
        data_root (str): Prefix of relative ``urls``.
        pipeline (list[dict]): Transforms.
        record_fn (callable, optional): Per-image JSON -> record; default :func:`umg41m_record`.
        shuffle_buffer (int): Samples shuffled in a buffer while streaming (0: off).
        test_mode (bool): No shuffling of shards or samples.
    """

    def __init__(self, urls: Union[str, Sequence[str]], data_root: str = '', pipeline: Sequence[dict] = (),
                 record_fn: Optional[Callable[[dict], dict]] = None, shuffle_buffer: int = 1000,
                 test_mode: bool = False):
        self.urls = [urls] if isinstance(urls, str) else list(urls)
        self.urls = [u if osp.isabs(u) or '://' in u else osp.join(data_root, u) for u in self.urls]
        self.pipeline = Compose(list(pipeline))
        self.record_fn = record_fn or umg41m_record
        self.shuffle_buffer = 0 if test_mode else shuffle_buffer
        self.test_mode = test_mode
        self.folder = len(self.urls) == 1 and osp.isdir(self.urls[0])
        if not self.folder:
            shards = [p for u in self.urls for p in (sorted(glob.glob(u)) if any(c in u for c in '*?[') else [u])]
            missing = [p for p in shards if '://' not in p and '{' not in p and not osp.isfile(p)]
            if missing or not shards:
                raise FileNotFoundError(f'WebDataset shards not found: {missing or self.urls}. Give .tar shards '
                                        '(globs and {000..999} patterns allowed) or one folder of json+image pairs.')
            self.urls = shards
        self.metainfo = dict(layout='folder' if self.folder else 'tar')

    @staticmethod
    def _split(items: list) -> list:
        """This rank's and this worker's share of ``items``."""
        rank, world = get_dist_info()
        info = get_worker_info()
        wid, nw = (info.id, info.num_workers) if info else (0, 1)
        return items[rank * nw + wid::world * nw]

    def _folder_pairs(self) -> Iterator[tuple]:
        root = self.urls[0]
        jsons = sorted(glob.glob(osp.join(root, '**', '*.json'), recursive=True))
        for path in self._split(jsons):
            stem = path[:-len('.json')]
            image = next((f'{stem}.{e}' for e in IMAGE_EXTS if osp.isfile(f'{stem}.{e}')), None)
            with open(path, 'rb') as f:
                meta = f.read()
            img = None
            if image:
                with open(image, 'rb') as f:
                    img = f.read()
            yield osp.relpath(stem, root), osp.relpath(root), meta, img

    def _tar_pairs(self) -> Iterator[tuple]:
        import webdataset as wds
        ds = wds.WebDataset(self.urls, shardshuffle=False if self.test_mode else len(self.urls),
                            nodesplitter=wds.split_by_node, workersplitter=wds.split_by_worker,
                            handler=wds.warn_and_continue, empty_check=False)
        for sample in ds:
            img = next((sample[e] for e in IMAGE_EXTS if e in sample), None)
            yield sample['__key__'], osp.basename(sample.get('__url__', '?')), sample.get('json'), img

    def _samples(self) -> Iterator[dict]:
        for key, shard, meta, img in (self._folder_pairs() if self.folder else self._tar_pairs()):
            source = f'{shard}:{key}'
            try:
                if meta is None:
                    raise ValueError('no .json beside the image')
                if img is None:
                    raise ValueError('no image beside the .json')
                rec = self.record_fn(json.loads(meta))
            except (ValueError, TypeError, AttributeError) as err:  # json.JSONDecodeError is a ValueError
                SKIPS('invalid record', source, str(err))
                continue
            rec.update(img_bytes=img, img_path=key, source=source)
            results = self.pipeline(rec)
            if results is not None:
                yield results

    def __iter__(self) -> Iterator[dict]:
        if not self.shuffle_buffer:
            yield from self._samples()
            return
        import random
        rng = random.Random(int(np.random.randint(2**31)))  # derived from the seeded global generator
        buf = []
        for sample in self._samples():
            if len(buf) < self.shuffle_buffer:
                buf.append(sample)
                continue
            i = rng.randrange(len(buf))
            buf[i], sample = sample, buf[i]
            yield sample
        rng.shuffle(buf)
        yield from buf
