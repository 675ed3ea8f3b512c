"""GroundingMixin: UMGCLIPInferencer's phrase grounding, a free-form phrase's best boxes and masks in one image from
the embeddings a search index holds (:mod:`umgclip_mm.search`), as JSON and a drawing."""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from ..exceptions import InputError


class GroundingMixin:
    """:meth:`ground` for an inferencer with ``clip`` (the :class:`UMGCLIP`), ``load`` (one input to
    ``{'img': BGR, 'img_path', ...}``), ``_names`` (output names of inputs) and ``_image_size``."""

    def region_embedder(self):
        """The :class:`~umgclip_mm.search.RegionEmbedder` over this inferencer's tower: the embeddings search indexes
        are built from (the image resized whole to the tower's square, boxes scaled with it, masks pooled)."""
        if getattr(self, '_region_embedder', None) is None:
            from umgclip_mm.search import RegionEmbedder
            self._region_embedder = RegionEmbedder(self.clip, img_size=self._image_size)
        return self._region_embedder

    @staticmethod
    def _grounding_masks(masks, height: int, width: int) -> List[dict]:
        """``masks`` (``None``, bitmaps ``[M, H, W]`` or COCO RLEs) as JSON-able RLEs of the image's size."""
        from umgclip_mm.search.region_embedder import encode_rles
        if masks is None:
            return []
        if isinstance(masks, np.ndarray) or isinstance(masks, torch.Tensor):
            masks = np.asarray(masks)
            if masks.ndim != 3 or masks.shape[1:] != (height, width):
                raise InputError(f'ground: masks must be [M, {height}, {width}] bitmaps (the image\'s size), got '
                                 f'shape {tuple(masks.shape)}')
            return encode_rles(masks)
        rles = []
        for j, rle in enumerate(masks):
            if not isinstance(rle, dict) or 'counts' not in rle or list(rle.get('size', ())) != [height, width]:
                raise InputError(f'ground: masks[{j}] is not a COCO RLE of the image\'s size [{height}, {width}] '
                                 f'(a dict with "size" and "counts"); give RLEs or [M, H, W] bitmaps')
            counts = rle['counts']
            rles.append(dict(size=[height, width], counts=counts.decode() if isinstance(counts, bytes) else counts))
        return rles

    def ground(self,
               image,
               phrase: str,
               boxes=None,
               masks=None,
               topk: int = 5,
               level: str = 'all',
               return_vis: bool = False,
               out_dir: Optional[str] = None) -> Dict[str, list]:
        """Phrase grounding in one image: its candidate regions (boxes) and masks ranked by the cosine of their
        embeddings with the phrase's, from one forward pass of the tower (:func:`umgclip_mm.search.ground_phrase`:
        the embeddings a search index holds, ``docs/search.md``).

        Args:
            image: An image file, an array (in the inferencer's ``channel_order``) or a PIL image.
            phrase (str): Free-form text (``"the red mug on the left shelf"``).
            boxes (optional): Candidate boxes ``[K, 4]`` ``x1, y1, x2, y2`` in the image's pixels. With neither
                ``boxes`` nor ``masks``: sliding windows (:func:`umgclip_mm.search.grid_proposals`).
            masks (optional): Candidate masks, ``[M, H, W]`` bitmaps or COCO RLEs of the image's size.
            topk (int): How many of the best candidates to return.
            level (str): Which candidates compete: ``'region'`` (boxes), ``'mask'`` or ``'all'``.
            return_vis (bool): Also return the drawing (RGB): the image with the ``topk`` boxes (and masks) drawn
                best on top, tagged with rank and score, and a legend panel of ``level index: score``.
            out_dir (str, optional): Write ``out_dir/preds/<name>.json`` and ``out_dir/vis/<name>.png``.

        Returns:
            dict: ``predictions``: one dict (``image``, ``name``, ``phrase``, ``height``, ``width``,
            ``proposals`` (``'given'`` or ``'grid'``), ``num_regions``, ``num_masks`` and ``hits``: per hit the
            fields of :meth:`umgclip_mm.search.SearchHit.to_dict` (``score``, ``level``, ``key``: the image,
            ``image_id``: 0, ``item``: the index into the boxes or masks, ``box``, ``mask`` for mask hits), best
            first); ``visualization``: ``[drawing]`` with ``return_vis`` or ``out_dir``, else ``[]``.

        Raises:
            InputError: An empty phrase, an unknown level, ``topk`` under 1, boxes or masks of the wrong shape, or
                no candidate left at ``level``.
        """
        from umgclip_mm.search import SearchHit, grid_proposals, ground_phrase
        if not isinstance(phrase, str) or not phrase.strip():
            raise InputError('ground needs a phrase: a non-empty string such as "a red star"')
        if level not in ('region', 'mask', 'all'):
            raise InputError(f"ground: level must be 'region', 'mask' or 'all', got {level!r}")
        if int(topk) < 1:
            raise InputError(f'ground: topk must be at least 1, got {topk}')
        loaded = self.load(image)
        img = loaded['img']
        h, w = img.shape[:2]
        proposals = 'given'
        if boxes is None and masks is None:
            boxes, proposals = grid_proposals(h, w), 'grid'
        boxes = np.zeros((0, 4), np.float32) if boxes is None else np.asarray(boxes, np.float32)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise InputError(f'ground: boxes must be [K, 4] x1, y1, x2, y2, got shape {tuple(boxes.shape)}')
        rles = self._grounding_masks(masks, h, w)
        if level == 'mask':
            boxes = boxes[:0]
        elif level == 'region':
            rles = []
        if not len(boxes) and not rles:
            raise InputError(f'ground: no candidate {"box or mask" if level == "all" else level} to rank: give '
                             'boxes or masks, or neither (sliding windows)')
        name = self._names([image])[0]
        key = loaded['img_path'] or name
        ranked = ground_phrase(self.region_embedder(), img, phrase, boxes, rles, int(topk))
        hits = [SearchHit(r['score'], r['level'], key, 0, r['index'], r['box'], r.get('mask')).to_dict()
                for r in ranked]
        pred = dict(image=key, name=name, phrase=phrase, height=h, width=w, proposals=proposals,
                    num_regions=len(boxes), num_masks=len(rles), hits=hits)
        drawings = []
        if return_vis or out_dir:
            drawings.append(self.draw_grounding(img[..., ::-1], phrase, hits))
        if out_dir:
            import mmcv
            mmcv.imwrite(drawings[0][..., ::-1], osp.join(out_dir, 'vis', name + '.png'))  # makes the folder
            os.makedirs(osp.join(out_dir, 'preds'), exist_ok=True)
            with open(osp.join(out_dir, 'preds', name + '.json'), 'w') as f:
                json.dump(pred, f, indent=1)
        return dict(predictions=[pred], visualization=drawings)

    def draw_grounding(self, image: np.ndarray, phrase: str, hits: Sequence[dict]) -> np.ndarray:
        """``image`` (RGB) with the grounding ``hits`` (best first, :meth:`ground`'s) drawn by
        :class:`OVDetLocalVisualizer`: a colour per rank, boxes and masks with a ``#rank score`` tag, the best on
        top, and a legend panel ``#rank level index: score`` under the phrase."""
        from umgclip_mm.search.region_embedder import decode_rles
        from umgclip_mm.visualization import OVDetLocalVisualizer
        vis = OVDetLocalVisualizer(name=f'umgclip_grounding_{id(self)}')  # built directly: no global instance
        image = np.ascontiguousarray(image)
        colours = vis.class_palette(len(hits))
        order = list(range(len(hits)))[::-1]  # the best drawn last, on top
        masks = None
        if any('mask' in hits[i] for i in order):
            blank = np.zeros(image.shape[:2], bool)
            masks = np.stack([decode_rles([hits[i]['mask']])[0].astype(bool) if 'mask' in hits[i] else blank
                              for i in order])
        drawn = vis.draw_tagged_boxes(image, np.array([hits[i]['box'] for i in order]).reshape(-1, 4),
                                      [f'#{i + 1} {hits[i]["score"]:.2f}' for i in order],
                                      [colours[i] for i in order], masks)
        rows = [(colours[i], f'#{i + 1} {h["level"]} {h["item"]}', f'{h["score"]:.3f}') for i, h in enumerate(hits)]
        title = phrase if len(phrase) <= 40 else phrase[:37] + '...'
        return vis.draw_legend(drawn, rows, title=f'"{title}": cosine')

