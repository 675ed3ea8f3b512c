"""RegionEmbedder: one pass of a UMG-CLIP image tower gives an image's global, box and mask embeddings."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import cv2
import numpy as np
import torch
from pycocotools import mask as mask_utils

from .errors import BadImageError


def decode_rles(rles: Sequence[dict]) -> np.ndarray:
    """COCO RLEs (all of one size) as a uint8 array ``[M, H, W]``."""
    if not rles:
        return np.zeros((0, 1, 1), np.uint8)
    return np.ascontiguousarray(mask_utils.decode([dict(r, counts=r['counts'].encode() if isinstance(
        r['counts'], str) else r['counts']) for r in rles]).transpose(2, 0, 1))


def encode_rles(masks: np.ndarray) -> List[dict]:
    """Bitmaps ``[M, H, W]`` as JSON-able COCO RLEs (``counts`` a string), the inverse of :func:`decode_rles`."""
    out = []
    for m in np.asarray(masks).astype(np.uint8):
        rle = mask_utils.encode(np.asfortranarray(m))
        out.append(dict(size=[int(v) for v in rle['size']], counts=rle['counts'].decode()))
    return out


def read_image(path: str, height: Optional[int] = None, width: Optional[int] = None) -> np.ndarray:
    """Decode an image file to BGR uint8 ``[H, W, 3]``.

    Raises:
        BadImageError: the file is missing, undecodable or truncated, or not ``height`` x ``width`` when given.
    """
    from umgclip_mm.datasets.transforms.load_umg_image import is_truncated
    if not osp.isfile(path):
        raise BadImageError(f'{path}: not found')
    with open(path, 'rb') as f:
        data = f.read()
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    if img is None:
        raise BadImageError(f'{path}: not a decodable image')
    if is_truncated(data):
        raise BadImageError(f'{path}: truncated (the file ends before the image does)')
    if height is not None and width is not None and img.shape[:2] != (height, width):
        raise BadImageError(f'{path} is {img.shape[1]}x{img.shape[0]} but its record says {width}x{height}')
    return img


class RegionEmbedder:
    """A frozen UMG-CLIP's embeddings of whole images, boxes and masks, and of text, as float32 numpy arrays.

    An image is resized whole to the tower's square input (bicubic, as ``UMGRandomResizedCrop(random=False)`` does
    in evaluation), boxes are scaled with it and masks are pooled at their own resolution
    (:meth:`UMGCLIP.pool`), so all three levels come from one forward pass.

    Args:
        model (UMGCLIP): The model (``encode_text``, ``forward_features``, ``pool``, ``data_preprocessor``).
        img_size (int, optional): Side of the square input (default: the tower's ``img_size``).
        batch_size (int): Images per forward pass in :meth:`embed_images`.
    """

    def __init__(self, model, img_size: Optional[int] = None, batch_size: int = 16):
        self.model = model.eval()
        self.img_size = int(img_size or model.backbone.img_size[0])
        self.batch_size = batch_size

    @classmethod
    def from_config(cls, config, checkpoint: Optional[str] = None, device: str = 'cpu', **kwargs) -> 'RegionEmbedder':
        """Build the UMG-CLIP of a config (its ``model``, or a task model's ``model.clip``) with a checkpoint."""
        from mmengine.config import Config

        from umgclip_mm.apis.inference import init_model
        cfg = Config.fromfile(config) if isinstance(config, str) else config
        if cfg.model.get('type', '').split('.')[-1] != 'UMGCLIP':
            if 'clip' not in cfg.model:
                raise ValueError(f'{config}: its model is {cfg.model.get("type")}, neither a UMGCLIP nor a task model '
                                 'with a "clip" entry: give a UMG-CLIP config (configs/quickstart/pretrain_*.py)')
            cfg.model = dict(cfg.model.clip, init_cfg=None)
        return cls(init_model(cfg, checkpoint, device=device), **kwargs)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def embed_dims(self) -> int:
        return self.model.embed_dims

    def _inputs(self, images: Sequence[np.ndarray]) -> torch.Tensor:
        s = self.img_size
        batch = [torch.from_numpy(cv2.resize(img, (s, s), interpolation=cv2.INTER_CUBIC).transpose(2, 0, 1).copy())
                 for img in images]
        return self.model.data_preprocessor(dict(inputs=batch), False)['inputs']

    @torch.no_grad()
    def embed_images(self, images: Sequence[np.ndarray], boxes: Sequence[np.ndarray],
                     masks: Sequence[Union[np.ndarray, Sequence[dict]]]) -> List[Dict[str, np.ndarray]]:
        """Embeddings of images and of their boxes and masks.

        Args:
            images (list[np.ndarray]): BGR uint8 ``[H, W, 3]`` each (any sizes).
            boxes (list[np.ndarray]): Per image ``[K, 4]`` xyxy in its own pixels.
            masks (list): Per image ``[M, H, W]`` bitmaps or a list of COCO RLEs of its size.

        Returns:
            list[dict]: Per image ``image`` ``[D]``, ``region`` ``[K, D]`` and ``mask`` ``[M, D]``, float32,
            L2-normalised.
        """
        out = []
        for start in range(0, len(images), self.batch_size):
            imgs = images[start:start + self.batch_size]
            feats = self.model.forward_features(self._inputs(imgs).to(self.device))
            glob = torch.nn.functional.normalize(feats['global_embeds'], dim=-1)
            scaled, bitmaps = [], []
            for i, img in enumerate(imgs):
                h, w = img.shape[:2]
                b = np.asarray(boxes[start + i], np.float32).reshape(-1, 4)
                scaled.append(torch.from_numpy(b * np.array([self.img_size / w, self.img_size / h] * 2, np.float32)))
                m = masks[start + i]
                m = m if isinstance(m, np.ndarray) else decode_rles(m)
                bitmaps.append(torch.from_numpy(m.astype(bool)) if len(m) else None)
            region = self.model.pool('region', feats, scaled)[0] if sum(len(b) for b in scaled) else None
            mask = (self.model.pool('mask', feats, bitmaps)[0] if any(m is not None for m in bitmaps) else None)
            r_split = region.split([len(b) for b in scaled]) if region is not None else None
            m_split = mask.split([0 if m is None else len(m) for m in bitmaps]) if mask is not None else None
            d = self.embed_dims
            for i in range(len(imgs)):
                out.append(dict(
                    image=glob[i].float().cpu().numpy(),
                    region=r_split[i].float().cpu().numpy() if r_split is not None else np.zeros((0, d), np.float32),
                    mask=m_split[i].float().cpu().numpy() if m_split is not None else np.zeros((0, d), np.float32)))
        return out

    @torch.no_grad()
    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings ``[N, D]`` float32 of a list of strings."""
        if isinstance(texts, str):
            raise TypeError('encode_text takes a list of strings, not one string')
        return self.model.encode_text(list(texts)).float().cpu().numpy()
