"""SearchIndexBuilder: embeds a collection at three granularities into shards, then builds the FAISS indexes.

Layout of an index folder (docs/search.md)::

    manifest.json              format, version, model, collection, proposals, shards, levels
    shards/shard-00000.npz     float16 embeddings: image [n, D], region [R, D], mask [M, D];
                               int32 region_image [R], mask_image [M] (the row of each item's image in the shard)
    shards/shard-00000.jsonl   one line per image of the shard: key, height, width, boxes (xyxy), masks (COCO RLE)
    shards/shard-00000.json    the shard's summary (counts, skipped images), written last: the shard is complete
    index_image.faiss, index_region.faiss, index_mask.faiss

Every file is written under a temporary name and renamed into place, so an interrupted build leaves whole shards
only; a new build in the same folder continues after the last complete one. Paths in the manifest are relative to
the index folder, so the folder can move to another machine.
"""
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import print_log

from .collection import CollectionItem, collection_fingerprint
from .errors import BadImageError, SearchIndexError
from .faiss_index import FLAT_MAX_VECTORS, build_faiss_index, index_kind, ivfpq_params, write_faiss_index
from .grid_proposals import grid_proposals
from .index_files import atomic_write, file_sha256, shard_name, write_json
from .region_embedder import RegionEmbedder, encode_rles, read_image

INDEX_FORMAT = 'umgclip-search-index'
INDEX_VERSION = 1
LEVELS = ('image', 'region', 'mask')
PROPOSAL_KINDS = ('given', 'grid', 'rpn', 'panoptic', 'none')


class SearchIndexBuilder:
    """Build a search index folder over a collection with a :class:`RegionEmbedder`.

    For each image: its global embedding, the embeddings of its box proposals and of its masks, and the boxes
    and masks themselves. Box proposals are, by ``proposals``: ``'given'`` (the collection's boxes), ``'grid'``
    (:func:`grid_proposals`, no detector), ``'rpn'`` (``proposer``'s, e.g. :class:`RPNProposer`), ``'panoptic'``
    (the bounding boxes of ``proposer``'s masks, e.g. :class:`PanopticProposer`'s) or ``'none'`` (image level only).
    Masks are the collection's (UMG ``masks`` or COCO ``segmentation``), except with ``'panoptic'``: the
    proposer's.

    Images are processed in shards of ``shard_size``; shard ``k`` holds collection items
    ``[k * shard_size, (k + 1) * shard_size)`` less those that could not be read (:class:`BadImageError`: skipped,
    counted in the shard's summary and the manifest, named in the log). ``rank`` / ``world_size`` split the shards
    between processes (shard ``k`` to rank ``k % world_size``); :meth:`finalize` (one process, after all) merges the
    shard summaries into the manifest and builds the FAISS indexes.

    Args:
        embedder (RegionEmbedder): The model.
        out_dir (str): Index folder (created).
        proposals (str): One of ``'given'``, ``'grid'``, ``'rpn'``, ``'none'``.
        proposer (callable, optional): ``img -> (boxes [K, 4], scores [K])`` for ``proposals='rpn'``,
            ``img -> (boxes [K, 4], masks [K, H, W], scores [K])`` for ``'panoptic'``.
        shard_size (int): Images per shard.
        model_info (dict, optional): Recorded in the manifest (a resumed build must match it): file paths under
            keys ending in ``config`` / ``checkpoint`` as their name and their path relative to ``out_dir`` (a
            checkpoint also as its SHA-256), anything else JSON-able as it is.
        index_kind (str): FAISS index of each level: ``'auto'``, ``'flat'`` or ``'ivfpq'``
            (:func:`build_faiss_index`).
        progress (bool): Show mmengine's progress bar on stderr.
    """

    def __init__(self,
                 embedder: RegionEmbedder,
                 out_dir: str,
                 proposals: str = 'given',
                 proposer=None,
                 shard_size: int = 1000,
                 model_info: Optional[dict] = None,
                 index_kind: str = 'auto',
                 progress: bool = True):
        if proposals not in PROPOSAL_KINDS:
            raise ValueError(f'proposals must be one of {PROPOSAL_KINDS}, got {proposals!r}')
        if proposals == 'rpn' and proposer is None:
            raise ValueError("proposals='rpn' needs a proposer (RPNProposer.from_config(detector config, checkpoint))")
        if proposals == 'panoptic' and proposer is None:
            raise ValueError("proposals='panoptic' needs a proposer (PanopticProposer.from_config(panoptic config, "
                             'checkpoint))')
        if shard_size < 1:
            raise ValueError(f'shard_size must be positive, got {shard_size}')
        self.embedder, self.out_dir, self.proposals, self.proposer = embedder, out_dir, proposals, proposer
        self.shard_size, self.index_kind, self.progress = shard_size, index_kind, progress
        info = {}
        for key, value in (model_info or {}).items():
            if value is None:
                continue
            if key.endswith(('config', 'checkpoint')) and isinstance(value, str):
                # the file's name, and where it is seen from the index folder (a hint for query tools; no
                # absolute path, so that the folder can move)
                info[key] = osp.basename(value)
                info[key + '_path'] = osp.relpath(osp.abspath(value), osp.abspath(out_dir))
                if key.endswith('checkpoint'):
                    info[key + '_sha256'] = file_sha256(value)
            else:
                info[key] = value
        self.model_info = dict(info, embed_dims=embedder.embed_dims, img_size=embedder.img_size)
        self.shard_dir = osp.join(out_dir, 'shards')

    # ------------------------------------------------------------------ the manifest
    def _header(self, items: List[CollectionItem], data_root: str) -> dict:
        return dict(format=INDEX_FORMAT, version=INDEX_VERSION, model=self.model_info,
                    collection=dict(data_root=osp.relpath(osp.abspath(data_root), osp.abspath(self.out_dir)),
                                    num_images=len(items), fingerprint=collection_fingerprint(items)),
                    proposals=self.proposals, shard_size=self.shard_size, dtype='float16',
                    num_shards=-(-len(items) // self.shard_size), shards=[], levels={}, complete=False)

    def _check_resume(self, old: dict, new: dict) -> None:
        if old.get('format') != INDEX_FORMAT:
            raise SearchIndexError(f'{self.out_dir}/manifest.json is not a search index manifest: give an empty '
                                   'or new output folder')
        for key in ('version', 'model', 'collection', 'proposals', 'shard_size'):
            if key == 'collection':
                same = {k: v for k, v in old[key].items() if k != 'data_root'} == \
                    {k: v for k, v in new[key].items() if k != 'data_root'}
            else:
                same = old.get(key) == new[key]
            if not same:
                raise SearchIndexError(
                    f'{self.out_dir} holds a build with another {key} ({old.get(key)!r}, now {new[key]!r}): it '
                    'cannot be resumed with these arguments; give a new output folder (or delete this one)')

    def prepare(self, items: List[CollectionItem], data_root: str) -> dict:
        """Create the folder and its manifest header, or check that the folder's build can be resumed with these
        arguments (the same model, checkpoint, collection, proposals and shard size).

        Raises:
            SearchIndexError: the folder holds another build.
        """
        os.makedirs(self.shard_dir, exist_ok=True)
        header = self._header(items, data_root)
        path = osp.join(self.out_dir, 'manifest.json')
        if osp.isfile(path):
            with open(path) as f:
                try:
                    old = json.load(f)
                except json.JSONDecodeError as err:
                    raise SearchIndexError(f'{path} is not JSON ({err}): delete the folder and build again') from None
            self._check_resume(old, header)
            header = dict(old, levels={}, complete=False)
        write_json(path, header)
        return header

    def completed_shards(self) -> Dict[int, dict]:
        """The summaries of the shards already written, by shard number."""
        done = {}
        if osp.isdir(self.shard_dir):
            for name in os.listdir(self.shard_dir):
                if name.startswith('shard-') and name.endswith('.json'):
                    with open(osp.join(self.shard_dir, name)) as f:
                        summary = json.load(f)
                    done[summary['shard']] = summary
        return done

    # ------------------------------------------------------------------ shards
    def _proposals(self, item: CollectionItem, img: np.ndarray):
        """``(boxes [K, 4], masks as COCO RLEs)`` of an image."""
        h, w = img.shape[:2]
        if self.proposals == 'given':
            return item.boxes, item.masks
        if self.proposals == 'grid':
            return grid_proposals(h, w), item.masks
        if self.proposals == 'rpn':
            return self.proposer(img)[0], item.masks
        if self.proposals == 'panoptic':
            boxes, masks, _ = self.proposer(img)
            return boxes, encode_rles(masks)
        return np.zeros((0, 4), np.float32), item.masks

    def _write_shard(self, k: int, items: Sequence[CollectionItem]) -> dict:
        good, images, boxes, masks, bad = [], [], [], [], []
        for item in items:
            try:
                img = read_image(item.img_path, item.height, item.width)
            except BadImageError as err:
                bad.append(item.key)
                print_log(f'search index: skipped {item.key}: {err}', logger='current', level=30)
                continue
            good.append(item)
            images.append(img)
            b, m = self._proposals(item, img)
            boxes.append(b)
            masks.append(m)
        embeds = self.embedder.embed_images(images, boxes, masks) if images else []
        d = self.embedder.embed_dims

        def stack(level):
            parts = [e[level].reshape(-1, d) for e in embeds]
            return np.concatenate(parts).astype(np.float16) if parts else np.zeros((0, d), np.float16)

        arrays = dict(image=stack('image'), region=stack('region'), mask=stack('mask'),
                      region_image=np.repeat(np.arange(len(good)), [len(b) for b in boxes]).astype(np.int32),
                      mask_image=np.repeat(np.arange(len(good)), [len(m) for m in masks]).astype(np.int32))
        base = osp.join(self.shard_dir, shard_name(k))

        def write_npz(tmp):
            with open(tmp, 'wb') as f:
                np.savez(f, **arrays)

        def write_lines(tmp):
            with open(tmp, 'w') as f:
                for item, img, b, m in zip(good, images, boxes, masks):
                    f.write(json.dumps(dict(key=item.key, height=img.shape[0], width=img.shape[1],
                                            boxes=np.round(np.asarray(b, np.float64), 2).tolist(),
                                            masks=m)) + '\n')

        atomic_write(base + '.npz', write_npz)
        atomic_write(base + '.jsonl', write_lines)
        summary = dict(shard=k, name=shard_name(k), start=k * self.shard_size,
                       stop=k * self.shard_size + len(items), images=len(good), regions=int(len(arrays['region'])),
                       masks=int(len(arrays['mask'])), skipped=bad)
        write_json(base + '.json', summary)  # last: the shard is complete
        return summary

    def build_shards(self, items: List[CollectionItem], data_root: str, rank: int = 0, world_size: int = 1) -> dict:
        """Write this rank's shards that are not complete yet.

        Args:
            items (list[CollectionItem]): The collection (the same list on every rank).
            data_root (str): The folder the items' keys are relative to.
            rank, world_size (int): This process's share: shards ``k`` with ``k % world_size == rank``.

        Returns:
            dict: ``written`` (shards written now), ``resumed`` (complete before), ``skipped`` (bad images now).
        """
        # rank 0 writes (or checks) the manifest header; the others only write their shards and summaries
        manifest = self.prepare(items, data_root) if rank == 0 else None
        os.makedirs(self.shard_dir, exist_ok=True)
        num_shards = -(-len(items) // self.shard_size)
        done = self.completed_shards()
        mine = [k for k in range(num_shards) if k % world_size == rank]
        todo = [k for k in mine if k not in done]
        if len(todo) < len(mine):
            print_log(f'search index: resuming in {self.out_dir}: {len(mine) - len(todo)} of {len(mine)} shards '
                      'already complete', logger='current')
        bar = None
        if self.progress and todo:
            from mmengine.utils import ProgressBar
            bar = ProgressBar(sum(len(items[k * self.shard_size:(k + 1) * self.shard_size]) for k in todo),
                              file=sys.stderr)
        skipped = 0
        for k in todo:
            part = items[k * self.shard_size:(k + 1) * self.shard_size]
            summary = self._write_shard(k, part)
            skipped += len(summary['skipped'])
            done[k] = summary
            if manifest is not None and world_size == 1:  # one writer: the manifest lists the shards complete so far
                manifest['shards'] = [done[i] for i in sorted(done)]
                write_json(osp.join(self.out_dir, 'manifest.json'), manifest)
            if bar is not None:
                for _ in part:
                    bar.update()
        if bar is not None:
            sys.stderr.write('\n')
        return dict(written=len(todo), resumed=len(mine) - len(todo), skipped=skipped)

    # ------------------------------------------------------------------ the FAISS indexes
    def _level_vectors(self, summaries: List[dict], level: str):
        for s in summaries:
            with np.load(osp.join(self.shard_dir, s['name'] + '.npz'), allow_pickle=False) as z:
                yield z[level]

    def finalize(self, seed: int = 0) -> dict:
        """Merge the shard summaries into the manifest and build one FAISS index per level (flat or IVF-PQ, see
        ``index_kind``), adding shard by shard (an IVF-PQ index is trained on a sample first).

        Returns:
            dict: The manifest.

        Raises:
            SearchIndexError: a shard of the plan is missing (a rank has not finished).
        """
        path = osp.join(self.out_dir, 'manifest.json')
        with open(path) as f:
            manifest = json.load(f)
        done = self.completed_shards()
        missing = [shard_name(k) for k in range(manifest['num_shards']) if k not in done]
        if missing:
            raise SearchIndexError(f'{self.out_dir}: shards {missing[:5]} (of {len(missing)} missing) are not '
                                   'complete: run the build again (it resumes) before finalizing')
        summaries = [done[k] for k in sorted(done)]
        manifest['shards'] = summaries
        skipped = [key for s in summaries for key in s['skipped']]
        manifest['counts'] = dict(images=sum(s['images'] for s in summaries),
                                  regions=sum(s['regions'] for s in summaries),
                                  masks=sum(s['masks'] for s in summaries), skipped=len(skipped))
        d = self.embedder.embed_dims
        levels = {}
        for level in LEVELS:
            n = manifest['counts'][level + 's' if level != 'image' else 'images']
            kind = self.index_kind
            if kind == 'auto':
                kind = 'flat' if n <= FLAT_MAX_VECTORS else 'ivfpq'
            if kind == 'ivfpq':
                nlist, _ = ivfpq_params(n, d)
                rng = np.random.default_rng(seed)
                take = min(1.0, 64 * nlist / max(n, 1))
                sample = np.concatenate([v[rng.random(len(v)) < take] for v in self._level_vectors(summaries, level)])
                index = build_faiss_index(sample, 'ivfpq', seed=seed, num_vectors=n, add=False)
            else:
                index = build_faiss_index(np.zeros((0, d), np.float32), 'flat')
            for vectors in self._level_vectors(summaries, level):
                if len(vectors):
                    index.add(np.ascontiguousarray(vectors, np.float32))
            name = f'index_{level}.faiss'
            atomic_write(osp.join(self.out_dir, name), lambda tmp, ix=index: write_faiss_index(ix, tmp))
            levels[level] = dict(count=int(index.ntotal), file=name, kind=index_kind(index))
        manifest.update(levels=levels, complete=True)
        write_json(path, manifest)
        if skipped:
            print_log(f'search index: {len(skipped)} image(s) skipped: {", ".join(skipped[:10])}'
                      f'{" ..." if len(skipped) > 10 else ""}', logger='current', level=30)
        return manifest

    def build(self, items: List[CollectionItem], data_root: str) -> dict:
        """:meth:`build_shards` then :meth:`finalize` in one process; returns the manifest."""
        self.build_shards(items, data_root)
        return self.finalize()
