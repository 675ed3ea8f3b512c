"""OVEncoderDecoder: open-vocabulary semantic segmentation on a frozen UMG-CLIP, for mmseg's runner."""
from typing import List, Optional, Tuple

import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.registry import DefaultScope
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.structures import SegDataSample
from torch import Tensor

from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary import Vocabulary

from ..heads.ov_maskformer_fusion_head import semantic_probs
from .ov_segmentor_mixin import OVSegmentorMixin


@MODELS.register_module()
class OVEncoderDecoder(OVSegmentorMixin, EncoderDecoder):
    """Mask classification on a frozen UMG-CLIP, classifying masks by text: open-vocabulary semantic segmentation
    with mmseg's data sets, pipelines, ``IoUMetric`` and ``whole`` / ``slide`` inference.

    The frozen tower's feature maps go through ``neck`` into ``decode_head`` (an :class:`OVMask2FormerSegHead`:
    mmdet's Mask2Former pixel decoder and masked-attention decoder, queries scored against the class text
    embeddings), trained on ``train_vocab`` (e.g. COCO-Stuff's 171 classes) from label maps. Prediction is
    MaskFormer's semantic inference in ``test_vocab`` (:func:`semantic_probs`: class probabilities times mask
    probabilities, summed over queries), after FC-CLIP's ensemble (``ensemble``, the shared
    :class:`OOVEnsemble` on the masks of the same forward pass). The same parts as :class:`OVMask2Former`; only the
    supervision (label maps) and the post-processing differ. mmseg's ``EncoderDecoder`` supplies ``predict``,
    ``slide_inference`` (``test_cfg=dict(mode='slide', crop_size=..., stride=...)``) and ``postprocess_result``.

    Args:
        clip (dict): :class:`UMGCLIP` config (its ``init_cfg`` loads the weights); frozen, in eval mode.
        decode_head (dict): :class:`OVMask2FormerSegHead` config; ``embed_dims`` and the class counts are filled in.
        train_vocab: Vocabulary spec (:func:`~umgclip_mm.vocabulary.build_vocabulary`) of the training labels.
        test_vocab (optional): Vocabulary spec of prediction (default: ``train_vocab``).
        neck (dict, optional): Neck on the tower's feature maps; ``in_channels`` defaults to the tower width.
        vocab_encoder (dict, optional): :class:`VocabularyEncoder` config (``templates``, ``cache_dir``).
        ensemble (dict, optional): :class:`OOVEnsemble` config; ``None`` turns the ensemble off.
        train_cfg (dict, optional): Mask2Former's (assigner, sampler, points), given to the head.
        test_cfg (dict, optional): mmseg's: ``mode`` (``'whole'`` or ``'slide'``), ``crop_size``, ``stride``.
        data_preprocessor (dict, optional): mmseg's ``SegDataPreProcessor`` config (CLIP mean and std).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 clip: dict,
                 decode_head: dict,
                 train_vocab,
                 test_vocab=None,
                 neck: Optional[dict] = None,
                 vocab_encoder: Optional[dict] = None,
                 ensemble: Optional[dict] = dict(alpha=0.4, beta=0.8),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        BaseSegmentor.__init__(self, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.init_open_vocab(clip, train_vocab, test_vocab, vocab_encoder, ensemble)
        self.init_neck(neck)
        with DefaultScope.overwrite_default_scope('mmdet'):
            self.decode_head = MODELS.build(
                dict(dict(decode_head), embed_dims=self.clip.embed_dims, train_cfg=train_cfg,
                     num_things_classes=len(self.train_vocab), num_stuff_classes=0))
        if not hasattr(self.decode_head, 'use_vocabulary'):
            raise TypeError(f'{type(self.decode_head).__name__} cannot switch vocabularies: use '
                            f'umgclip_mm.OVMask2FormerSegHead')
        self.align_corners = self.decode_head.align_corners
        self.train_cfg = train_cfg
        self.test_cfg = ConfigDict(test_cfg or dict(mode='whole'))
        self.log_parameter_counts()

    def use_vocabulary(self, vocab: Vocabulary, class_embeds: Tensor) -> None:
        """Check ``vocab`` and hand it with its class embeddings to the head."""
        super().use_vocabulary(vocab, class_embeds)
        self.decode_head.use_vocabulary(vocab, class_embeds)

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """The neck's pyramid of the frozen tower's feature maps."""
        return self.pyramid(self.clip_features(inputs, with_dense=False))

    def loss(self, inputs: Tensor, data_samples: List[SegDataSample]) -> dict:
        """Mask2Former's losses against the label maps, in the training vocabulary."""
        self._switch_vocabulary('train')
        return self.decode_head.loss(self.extract_feat(inputs), data_samples, self.train_cfg)

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Class probabilities ``[B, C, H, W]`` at the input size, in the test vocabulary (see the class
        docstring)."""
        self._switch_vocabulary('test')
        feats = self.clip_features(inputs, with_dense=self.ensemble is not None)
        samples = [SegDataSample(metainfo=meta) for meta in batch_img_metas]
        all_cls, all_masks = self.decode_head(self.pyramid(feats), samples)
        mask_cls = self.apply_ensemble(feats, 'mask', list(all_masks[-1]), all_cls[-1])
        masks = F.interpolate(all_masks[-1], size=inputs.shape[2:], mode='bilinear', align_corners=self.align_corners)
        return semantic_probs(mask_cls, masks)

    def _forward(self, inputs: Tensor, data_samples: Optional[List[SegDataSample]] = None) -> Tuple[List[Tensor]]:
        """``tensor`` mode: the head's per-layer class logits ``[B, Q, C + 1]`` and mask logits (test vocabulary)."""
        self._switch_vocabulary('test')
        return self.decode_head(self.extract_feat(inputs), data_samples or [])
