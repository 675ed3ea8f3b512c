"""ZeroShotSegmentor: a frozen CLIP's dense embeddings against class text embeddings, nothing trained."""
from typing import List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.segmentors.base import BaseSegmentor
from torch import Tensor

from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary import Vocabulary

from ..classifiers.zero_shot_classifier import load_umgclip_checkpoint
from .ov_segmentor_mixin import OVSegmentorMixin


@MODELS.register_module()
class ZeroShotSegmentor(OVSegmentorMixin, EncoderDecoder):
    """Training-free open-vocabulary semantic segmentation: every patch's embedding in the joint space
    (:meth:`UMGCLIP.encode_dense`) is scored against the class embeddings of ``vocab`` (the shared
    :class:`VocabularyEncoder`: mean over templates and synonyms) at the model's temperature, and the score maps are
    resized to the image. Any converted CLIP works (OpenAI CLIP, EVA02-CLIP, UMG-CLIP), so towers are compared at
    dense (per-pixel) prediction with one config each; this is how far dense alignment goes with nothing trained on top.

    mmseg's ``EncoderDecoder`` supplies ``predict``, ``whole`` / ``slide`` inference and ``postprocess_result``;
    ``loss`` refuses (there is nothing to train). A UMG-CLIP checkpoint (``backbone.*``, ``text_encoder.*``) loads
    into ``clip`` as it is (``tools/test.py CONFIG CHECKPOINT``).

    Args:
        clip (dict): :class:`UMGCLIP` config (its ``init_cfg`` loads the weights).
        vocab: Vocabulary spec (:func:`~umgclip_mm.vocabulary.build_vocabulary`), in label order.
        vocab_encoder (dict, optional): :class:`VocabularyEncoder` config (``templates``, ``cache_dir``).
        test_cfg (dict, optional): mmseg's: ``mode`` (``'whole'`` or ``'slide'``), ``crop_size``, ``stride``.
        align_corners (bool): ``align_corners`` of the resizing to the image.
        data_preprocessor (dict, optional): mmseg's ``SegDataPreProcessor`` config (CLIP mean and std).
        init_cfg (dict, optional): Unused (the weights come with ``clip``).
    """

    # nothing learns the vocabulary: VocabularyCheckHook leaves a metric's seen / unseen split (kept to compare with
    # trained models) unchecked
    learns_vocabulary = False

    def __init__(self,
                 clip: dict,
                 vocab: Union[str, list, dict, Vocabulary],
                 vocab_encoder: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 align_corners: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        BaseSegmentor.__init__(self, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.init_open_vocab(clip, vocab, vocab_encoder=vocab_encoder)
        self.align_corners = align_corners
        self.test_cfg = ConfigDict(test_cfg or dict(mode='whole'))
        self.register_load_state_dict_pre_hook(load_umgclip_checkpoint)


    def encode_decode(self, inputs: Tensor, batch_img_metas: Optional[List[dict]] = None) -> Tensor:
        """Scaled cosine similarities ``[B, C, H, W]`` of the dense embeddings to the class embeddings, resized
        (bilinear) to the pixels the grid covers, then cropped to the input (the tower pads sides that are not
        multiples of its patch size, so the grid may cover a few pixels more)."""
        class_embeds = self._switch_vocabulary('test')
        with torch.no_grad():
            dense = self.clip.encode_dense(inputs)
            logits = torch.einsum('bdhw,cd->bchw', dense, class_embeds.to(dense)) * self.clip.get_logit_scale()
        stride = self.clip.backbone.feature_stride
        covered = (logits.shape[-2] * stride, logits.shape[-1] * stride)
        logits = F.interpolate(logits, size=covered, mode='bilinear', align_corners=self.align_corners)
        return logits[..., :inputs.shape[-2], :inputs.shape[-1]]

    def _forward(self, inputs: Tensor, data_samples=None) -> Tensor:
        """``tensor`` mode: the score maps of :meth:`encode_decode`."""
        return self.encode_decode(inputs)

    def loss(self, inputs: Tensor, data_samples) -> dict:
        raise RuntimeError('ZeroShotSegmentor has nothing to train: evaluate it with tools/test.py, or train '
                           'umgclip_mm.OVEncoderDecoder')
