"""What UMGCLIPInferencer reads images with: CLIP's test pipeline for configs that bring none, and the decoding of
files, arrays and PIL images that replaces a pipeline's loading step (mmpretrain's inferencers do the same)."""
import os
import os.path as osp
from typing import List, Sequence, Union

import numpy as np

from ..exceptions import InputError, MissingFileError
from ..inputs import IMAGE_EXTENSIONS

InputType = Union[str, np.ndarray, 'PIL.Image.Image']  # noqa: F821 (PIL is imported where it is used)
InputsType = Union[InputType, Sequence[InputType]]

# The loading steps a test pipeline may start with; the inferencer decodes the image itself instead.
LOADERS = ('LoadImageFromFile', 'LoadUMGImage')


def clip_test_pipeline(size: int) -> List[dict]:
    """CLIP's test preprocessing (OpenAI's ``clip.load``, open_clip's and EVA-CLIP's ``image_transform``) as
    mmpretrain transforms, in mmpretrain's scope: PIL decoding, the short side to ``size`` with PIL's bicubic filter,
    the centred ``size`` square, packed (mean/std and BGR -> RGB are the model's data preprocessor's). It is
    ``configs/_base_/datasets/imagenet_zeroshot.py``'s test pipeline at another size."""
    return [
        dict(type='LoadImageFromFile', imdecode_backend='pillow'),
        dict(type='ResizeEdge', scale=size, edge='short', backend='pillow', interpolation='bicubic'),
        dict(type='CenterCrop', crop_size=size),
        dict(type='PackInputs'),
    ]


def load_image(item: InputType, channel_order: str = 'bgr', backend: str = 'cv2') -> dict:
    """``{'img': BGR uint8 [H, W, 3], 'img_path', 'ori_shape', 'img_shape', 'height', 'width'}`` of one input:
    what the pipeline's loading step (:data:`LOADERS`) would have given.

    Args:
        item: An image file (decoded by ``backend``, mmcv's ``imdecode_backend``: the config's own), a ``uint8``
            ``[H, W, 3]`` / ``[H, W]`` array in ``channel_order`` or a ``PIL.Image`` (any mode, made RGB).
        channel_order (str): ``'bgr'`` (mmcv, cv2) or ``'rgb'`` (PIL, skimage) for arrays.
        backend (str): mmcv's image decoding backend for files (``'cv2'``, ``'pillow'``, ...).

    Raises:
        MissingFileError: A path that is no file.
        InputError: An array of the wrong shape or dtype, an undecodable file.
        TypeError: Anything else.
    """
    import mmcv
    path = None
    if isinstance(item, str):
        if not osp.isfile(item):
            raise MissingFileError(f'image {item} does not exist: give an image file, a folder of them, an array or '
                                   f'a PIL image')
        path = item
        with open(item, 'rb') as f:
            data = f.read()
        img = mmcv.imfrombytes(data, flag='color', backend=backend) if data else None
    elif isinstance(item, np.ndarray):
        img = np.repeat(item[..., None], 3, axis=2) if item.ndim == 2 else item
        if img.ndim != 3 or img.shape[2] not in (3, 4):
            raise InputError(f'an array input must be [H, W, 3] (or [H, W]) uint8, got shape {item.shape}')
        if img.dtype != np.uint8:
            raise InputError(f'an array input must be uint8 (0-255), got {img.dtype}: convert it with '
                             f'(x * 255).round().astype(np.uint8) for floats in [0, 1]')
        img = img[..., :3] if channel_order == 'bgr' else img[..., 2::-1]
    elif type(item).__module__.startswith('PIL.'):
        img = np.asarray(item.convert('RGB'))[..., ::-1]
    else:
        raise TypeError(f'cannot read an image from {type(item).__name__}: give a file path, a folder, an array or '
                        f'a PIL image')
    if img is None or min(img.shape[:2]) < 1:
        raise InputError(f'image {path or "array"} could not be decoded: give a JPEG, PNG, BMP, TIFF or WebP picture')
    h, w = img.shape[:2]
    return dict(img=np.ascontiguousarray(img), img_path=path, ori_shape=(h, w), img_shape=(h, w), height=h, width=w)


def list_inputs(inputs: InputsType) -> list:
    """``inputs`` as a list: a folder becomes its image files (sorted; other files ignored), a single input a list of
    one, a list has its folders expanded.

    Raises:
        InputError: A folder without image files.
    """
    if isinstance(inputs, str) and osp.isdir(inputs):
        files = sorted(f for f in os.listdir(inputs) if f.lower().endswith(IMAGE_EXTENSIONS))
        if not files:
            raise InputError(f'folder {inputs} has no image file ({", ".join(IMAGE_EXTENSIONS)})')
        return [osp.join(inputs, f) for f in files]
    if isinstance(inputs, (list, tuple)):
        return [x for item in inputs for x in (list_inputs(item) if isinstance(item, str) and osp.isdir(item)
                                               else [item])]
    return [inputs]


def pipeline_after_loading(steps: List[dict], scope: str):
    """``(Compose of steps[1:], the image decoding backend of steps[0])``: a test pipeline whose loading step
    (:data:`LOADERS`) the inferencer replaces with :func:`load_image` (mmpretrain's inferencers do the same).

    Raises:
        InputError: The pipeline does not start with a loading step.
    """
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope
    if str(steps[0].get('type', '')).split('.')[-1] not in LOADERS:
        raise InputError(f'the test pipeline of the config starts with {steps[0].get("type")}, not one of {LOADERS}: '
                         f'the inferencer reads images in its place')
    with DefaultScope.overwrite_default_scope(scope):
        return Compose(steps[1:]), steps[0].get('imdecode_backend', 'cv2')
