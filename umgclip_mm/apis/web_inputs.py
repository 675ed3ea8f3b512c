"""The web page's inputs: the example images (no download) and the conversion of whatever the page's image box
gives (16-bit, float, RGBA, grayscale, huge) into the 8-bit RGB the models take, each conversion with a note."""
from typing import List, Tuple

import numpy as np

from .exceptions import InputError

#: The longest image side the demo works at; a larger image is downscaled to it, with a note.
MAX_SIDE = 1600
#: The shortest image side it accepts.
MIN_SIDE = 8
#: What the toy models know (the toy world's classes), as the vocabulary of the toy scene example.
TOY_VOCAB = 'circle|disc,square,triangle,star,ring,cross,diamond,hexagon,sky,grass,water,sand,wall'
TOY_STUFF = 'sky,grass,water,sand,wall'


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
             task='semseg'),
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
        InputError: No image, or one that is no picture (wrong shape, a side under :data:`MIN_SIDE` px).
    """
    if image is None:
        raise InputError('No image: upload one (or paste it), or pick one of the examples below the image box.')
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (3, 4)):
        raise InputError(f'The image has shape {tuple(img.shape)}: give a grayscale, RGB or RGBA picture.')
    h, w = img.shape[:2]
    if min(h, w) < MIN_SIDE:
        raise InputError(f'The image is {w} x {h} px: give one of at least {MIN_SIDE} px on each side.')
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
