"""COCO segmentations (RLE, compressed or not, and polygons) checked before anything rasterises them: decoded into
a bitmap, or turned into what :func:`~umgclip_mm.datasets.transforms.rle_masks.rle_runs` parses."""
from typing import List, Union

import numpy as np
from pycocotools import mask as mask_utils


def _coordinates(poly: list) -> np.ndarray:
    """A polygon's coordinates as float64, NaN for any that is not an int or float (bools and strings included)."""
    if set(map(type, poly)) <= {int, float}:
        return np.asarray(poly, np.float64)
    return np.asarray([c if isinstance(c, (int, float)) and not isinstance(c, bool) else np.nan for c in poly],
                      np.float64)


def check_polygon_coordinates(polygons: List[list], h: int, w: int) -> None:
    """Raise a ValueError unless every polygon coordinate is a finite number within one image size of the image
    (``-w <= x <= 2w``, ``-h <= y <= 2h``). pycocotools rasterises whatever it gets: a NaN or a coordinate of 1e9
    makes it allocate without bound or crash the worker, so nothing else must reach it."""
    for i, poly in enumerate(polygons):
        coords = _coordinates(poly)
        xs, ys = coords[0::2], coords[1::2]
        if not np.isfinite(coords).all():
            raise ValueError(f'polygon {i} has a coordinate that is not a finite number')
        if xs.min() < -w or xs.max() > 2 * w or ys.min() < -h or ys.max() > 2 * h:
            raise ValueError(f'polygon {i} reaches ({xs.min():g}..{xs.max():g}, {ys.min():g}..{ys.max():g}), far '
                             f'outside the {w}x{h} image')


def decode_segmentation(seg, h: int, w: int) -> np.ndarray:
    """COCO RLE (compressed or not) or polygons -> ``[h, w]`` uint8 bitmap. Raises ValueError if malformed."""
    if isinstance(seg, dict):
        if 'counts' not in seg or 'size' not in seg:
            raise ValueError('an RLE needs "size" and "counts"')
        if list(seg['size']) != [h, w]:
            raise ValueError(f"RLE size {seg['size']} is not the image's [{h}, {w}]")
        rle = dict(seg)
        if isinstance(rle['counts'], list):
            total = sum(rle['counts']) if all(isinstance(c, int) and c >= 0 for c in rle['counts']) else -1
            if total != h * w:
                raise ValueError(f'uncompressed RLE counts must be non-negative and sum to {h * w}')
            rle = mask_utils.frPyObjects(rle, h, w)
        elif isinstance(rle['counts'], str):
            rle['counts'] = rle['counts'].encode('ascii')
        else:
            raise ValueError(f"RLE counts must be a string or a list, got {type(rle['counts']).__name__}")
        m = mask_utils.decode(rle)
        # pycocotools decodes some malformed strings (truncated, empty) from uninitialised memory instead of
        # failing: such a decode has values above 1 or disagrees with the RLE's own area.
        if m.max() > 1 or int(mask_utils.area(rle)) != int(m.sum()):
            raise ValueError('RLE counts are malformed (truncated or corrupt)')
    elif isinstance(seg, list) and seg and all(isinstance(p, list) and len(p) >= 6 and len(p) % 2 == 0
                                               for p in seg):
        check_polygon_coordinates(seg, h, w)
        m = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(seg, h, w)))
    else:
        raise ValueError('segmentation is neither an RLE dict nor a list of polygons of >= 3 points')
    return np.ascontiguousarray(m, dtype=np.uint8)


def segmentation_source(seg, h: int, w: int) -> Union[bytes, np.ndarray]:
    """What :func:`rle_runs` needs of a segmentation (COCO RLE or polygons, as :func:`decode_segmentation` takes
    them): a compressed RLE string (bytes; polygons are rasterised into one by pycocotools), or the run lengths
    of an uncompressed RLE (checked here). Raises ValueError on what is malformed before the string is parsed."""
    if isinstance(seg, dict):
        if 'counts' not in seg or 'size' not in seg:
            raise ValueError('an RLE needs "size" and "counts"')
        if list(seg['size']) != [h, w]:
            raise ValueError(f"RLE size {seg['size']} is not the image's [{h}, {w}]")
        counts = seg['counts']
        if isinstance(counts, list):
            if not all(isinstance(c, int) and c >= 0 for c in counts) or sum(counts) != h * w:
                raise ValueError(f'uncompressed RLE counts must be non-negative and sum to {h * w}')
            return np.asarray(counts, np.int64)
        if not isinstance(counts, str):
            raise ValueError(f'RLE counts must be a string or a list, got {type(counts).__name__}')
        return counts.encode('ascii')
    if isinstance(seg, list) and seg and all(isinstance(p, list) and len(p) >= 6 and len(p) % 2 == 0 for p in seg):
        check_polygon_coordinates(seg, h, w)
        rles = mask_utils.frPyObjects(seg, h, w)
        return (rles[0] if len(rles) == 1 else mask_utils.merge(rles))['counts']
    raise ValueError('segmentation is neither an RLE dict nor a list of polygons of >= 3 points')
