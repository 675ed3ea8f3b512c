"""CLIPPreprocess: CLIP's image preprocessing as transformers' CLIPImageProcessor does it (PIL bicubic resize of the
shorter side, centre crop with offsets rounded down), for UMGCLIPInferencer's embeddings."""
import os.path as osp
from typing import Sequence, Union

import numpy as np
from mmengine.dataset import Compose

from ..exceptions import InputError, MissingFileError


InputType = Union[str, np.ndarray, 'PIL.Image.Image']  # noqa: F821 (PIL is imported where it is used)
InputsType = Union[InputType, Sequence[InputType]]


def center_crop(img: np.ndarray, size: int) -> np.ndarray:
    """The centred ``size`` x ``size`` crop of ``img`` (``[H, W, ...]``, both sides at least ``size``), offsets
    rounded down as ``transformers``' ``CLIPImageProcessor`` (``(H - size) // 2``). mmcv's ``CenterCrop`` rounds
    half to even (``round(1.5) == 2``), one pixel off when ``H - size`` is 3, 7, 11, ..."""
    h, w = img.shape[:2]
    if h < size or w < size:
        raise InputError(f'center_crop: image {h}x{w} is smaller than the crop {size}: resize its shorter side '
                         f'to {size} first')
    top, left = (h - size) // 2, (w - size) // 2
    return np.ascontiguousarray(img[top:top + size, left:left + size])


class CLIPPreprocess:
    """CLIP's image preprocessing up to normalisation, as ``CLIPImageProcessor`` does it: the shorter side resized
    to ``size`` (the longer to ``int(size * long / short)``) with PIL's bicubic filter (mmpretrain's ``ResizeEdge``,
    ``backend='pillow'``), then the centred ``size`` square (:func:`center_crop`), packed by mmpretrain's
    ``PackInputs``. Mean/std and BGR -> RGB are the model's ``data_preprocessor``'s.

    Input: a path (decoded by PIL through mmcv, EXIF orientation applied), a ``PIL.Image`` (any mode, made RGB), or
    an ``[H, W, 3]`` / ``[H, W]`` ``uint8`` array in ``channel_order``.

    Args:
        size (int): Side of the square the tower sees.
        channel_order (str): ``'bgr'`` (``mmcv.imread``, ``cv2.imread``: the mm inferencers' convention) or
            ``'rgb'`` (PIL, skimage, matplotlib) for array inputs.
    """

    def __init__(self, size: int, channel_order: str = 'bgr'):
        from mmpretrain.datasets.transforms import PackInputs, ResizeEdge
        if channel_order not in ('bgr', 'rgb'):
            raise InputError(f"channel_order={channel_order!r}: use 'bgr' (mmcv/cv2 arrays) or 'rgb' (PIL/skimage)")
        self.size, self.channel_order = int(size), channel_order
        self.transforms = Compose([
            ResizeEdge(scale=self.size, edge='short', backend='pillow', interpolation='bicubic'),
            self._crop,
            PackInputs(meta_keys=('img_path', 'ori_shape', 'img_shape', 'scale_factor')),
        ])

    def _crop(self, results: dict) -> dict:
        results['img'] = center_crop(results['img'], self.size)
        results['img_shape'] = results['img'].shape[:2]
        return results

    def load(self, item: InputType) -> dict:
        """``{'img': BGR uint8 [H, W, 3], 'img_path', 'ori_shape'}`` of one input."""
        import mmcv
        path = None
        if isinstance(item, str):
            if not osp.isfile(item):
                raise MissingFileError(f'image {item} does not exist: give an image file, a folder of them, an '
                                        f'array or a PIL image')
            path = item
            with open(item, 'rb') as f:
                img = mmcv.imfrombytes(f.read(), flag='color', backend='pillow')  # PIL decodes, as transformers'
        elif isinstance(item, np.ndarray):
            img = item
            if img.ndim == 2:
                img = np.repeat(img[..., None], 3, axis=2)
            if img.ndim != 3 or img.shape[2] not in (3, 4):
                raise InputError(f'an array input must be [H, W, 3] (or [H, W]) uint8, got shape {item.shape}')
            img = img[..., :3]
            if img.dtype != np.uint8:
                raise InputError(f'an array input must be uint8 (0-255), got {img.dtype}: convert it with '
                                 f'(x * 255).round().astype(np.uint8) for floats in [0, 1]')
            if self.channel_order == 'rgb':
                img = img[..., ::-1]
        elif type(item).__module__.startswith('PIL.'):
            img = np.asarray(item.convert('RGB'))[..., ::-1]
        else:
            raise TypeError(f'cannot read an image from {type(item).__name__}: give a file path, a folder, an '
                            f'array or a PIL image')
        if img is None or min(img.shape[:2]) < 1:
            raise InputError(f'image {path or "array"} could not be decoded: give a JPEG, PNG, BMP, TIFF or WebP '
                             f'picture')
        img = np.ascontiguousarray(img)
        return dict(img=img, img_path=path, ori_shape=img.shape[:2], img_shape=img.shape[:2])

    def __call__(self, item: InputType) -> dict:
        return self.transforms(self.load(item))
