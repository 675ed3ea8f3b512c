"""One PNG grid of search hits: a thumbnail per hit with its box or mask drawn, its rank, score and image name."""
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np

from .region_embedder import decode_rles

HIT_COLOUR = (40, 220, 255)  # BGR: amber, visible on the toy world's colours and on photographs


def draw_hit(img: np.ndarray, hit, size: int = 192) -> np.ndarray:
    """A ``size`` x ``size + 34`` BGR tile: the image letterboxed, the hit's mask tinted and its box outlined, and
    ``#rank level score`` and the image name below.

    Args:
        img (np.ndarray): The hit's image, BGR.
        hit (SearchHit): The hit (``box``, ``mask``, ``score``, ``level``, ``key``).
        size (int): Tile side.
    """
    img = img.copy()
    if hit.mask is not None:
        m = decode_rles([hit.mask])[0].astype(bool)
        img[m] = (0.45 * img[m] + 0.55 * np.array(HIT_COLOUR)).astype(np.uint8)
    h, w = img.shape[:2]
    scale = size / max(h, w)
    small = cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    tile = np.full((size + 34, size, 3), 255, np.uint8)
    oy, ox = (size - small.shape[0]) // 2, (size - small.shape[1]) // 2
    tile[oy:oy + small.shape[0], ox:ox + small.shape[1]] = small
    if hit.box is not None:
        x1, y1, x2, y2 = (np.asarray(hit.box, np.float64) * scale + [ox, oy, ox, oy]).round().astype(int)
        cv2.rectangle(tile, (x1, y1), (x2, y2), (0, 0, 0), 3)
        cv2.rectangle(tile, (x1, y1), (x2, y2), HIT_COLOUR, 1)
    text = f'{hit.level} {hit.score:.3f}'
    cv2.putText(tile, text, (4, size + 14), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
    name = osp.basename(hit.key)
    cv2.putText(tile, name if len(name) <= 28 else '...' + name[-25:], (4, size + 29), cv2.FONT_HERSHEY_SIMPLEX,
                0.36, (80, 80, 80), 1, cv2.LINE_AA)
    return tile


def hit_grid(hits: Sequence, data_root: str, title: Optional[str] = None, cols: int = 5,
             size: int = 192) -> np.ndarray:
    """All hits as one BGR image, ``cols`` tiles a row in rank order, a title line on top.

    Args:
        hits (list[SearchHit]): The results, best first.
        data_root (str): The folder the hits' keys are relative to (``SearchIndex.data_root``).
        title (str, optional): The query, written above the grid.
        cols (int): Tiles per row.
        size (int): Tile side.
    """
    from .region_embedder import read_image
    tiles = []
    for rank, hit in enumerate(hits, 1):
        tile = draw_hit(read_image(osp.join(data_root, hit.key)), hit, size)
        cv2.putText(tile, f'#{rank}', (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(tile, f'#{rank}', (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    cols = max(1, min(cols, len(tiles) or 1))
    th, tw = size + 34, size
    rows = max(1, -(-len(tiles) // cols))
    head = 28 if title else 0
    grid = np.full((head + rows * (th + 4) + 4, cols * (tw + 4) + 4, 3), 235, np.uint8)
    if title:
        cv2.putText(grid, title[:120], (6, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    if not tiles:
        cv2.putText(grid, 'no hits', (8, head + 40), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 160), 1, cv2.LINE_AA)
    for k, tile in enumerate(tiles):
        r, c = divmod(k, cols)
        y, x = head + 4 + r * (th + 4), 4 + c * (tw + 4)
        grid[y:y + th, x:x + tw] = tile
    return grid
