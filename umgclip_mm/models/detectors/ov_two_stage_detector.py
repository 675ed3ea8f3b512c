"""OVTwoStageDetector: open-vocabulary detection (and instance segmentation) on a frozen UMG-CLIP (F-VLM)."""
import copy
from functools import partial
from typing import Dict, Optional

import torch
from mmdet.models.detectors import TwoStageDetector
from mmdet.models.detectors.base import BaseDetector
from mmdet.structures import SampleList
from mmengine.config import ConfigDict
from mmengine.registry import DefaultScope
from torch import Tensor

from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary import Vocabulary

from ..open_vocab import OpenVocabMixin


def _to_fp32(obj):
    """``obj`` (a tensor, or a dict / list / tuple of them) with its floating-point tensors in fp32."""
    if isinstance(obj, Tensor):
        return obj.float() if obj.is_floating_point() else obj
    if isinstance(obj, dict):
        return {k: _to_fp32(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_fp32(v) for v in obj)
    return obj


@MODELS.register_module()
class OVTwoStageDetector(OpenVocabMixin, TwoStageDetector):
    """F-VLM (Kuo et al., ICLR 2023) with mmdet's parts: a two-stage detector on the frozen UMG-CLIP image tower.

    - The frozen tower's feature maps go through ``neck`` (ViTDet's simple pyramid, :class:`ViTPyramidNeck`) into
      mmdet's RPN and an :class:`OVStandardRoIHead`, whose box head (:class:`OVShared2FCBBoxHead`) classifies RoIs
      against the class text embeddings of the vocabulary plus a learned background, with class-agnostic box
      regression and an optional class-agnostic mask head. Only neck and heads train, on ``train_vocab`` (e.g.
      OV-COCO's 48 base classes).
    - At test time each regressed box is also classified by UMG-CLIP itself: RoIAlign on the frozen dense features
      of the same forward pass, the tower's projection, cosine against the class embeddings at the tower's
      temperature (the shared :class:`OOVEnsemble`, level ``'region'``); the geometric ensemble combines both before
      NMS (``alpha`` for classes of ``train_vocab``, ``beta`` for the others; background keeps the head's
      probability). ``ensemble=None`` turns this off.

    Args:
        clip (dict): :class:`UMGCLIP` config (its ``init_cfg`` loads the weights); frozen, in eval mode.
        rpn_head (dict): mmdet RPN head config (``num_classes`` 1).
        roi_head (dict): :class:`OVStandardRoIHead` config; the box head's ``embed_dims`` and ``num_classes`` are
            filled in.
        train_vocab: Vocabulary spec (:func:`~umgclip_mm.vocabulary.build_vocabulary`) of the training labels.
        test_vocab (optional): Vocabulary spec of prediction (default: ``train_vocab``).
        neck (dict, optional): Neck on the tower's feature maps; ``in_channels`` defaults to the tower width.
        vocab_encoder (dict, optional): :class:`VocabularyEncoder` config (``templates``, ``cache_dir``).
        ensemble (dict, optional): :class:`OOVEnsemble` config; ``None`` turns the ensemble off.
        train_cfg (dict, optional): mmdet's (``rpn``, ``rpn_proposal``, ``rcnn``).
        test_cfg (dict, optional): mmdet's (``rpn``, ``rcnn``).
        data_preprocessor (dict, optional): mmdet's ``DetDataPreprocessor`` config (CLIP mean and std).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 clip: dict,
                 rpn_head: dict,
                 roi_head: dict,
                 train_vocab,
                 test_vocab=None,
                 neck: Optional[dict] = None,
                 vocab_encoder: Optional[dict] = None,
                 ensemble: Optional[dict] = dict(alpha=0.35, beta=0.65),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        BaseDetector.__init__(self, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.init_open_vocab(clip, train_vocab, test_vocab, vocab_encoder, ensemble)
        self.init_neck(neck)
        train_cfg, test_cfg = ConfigDict(train_cfg or {}), ConfigDict(test_cfg or {})
        with DefaultScope.overwrite_default_scope('mmdet'):  # mmdet's parts build their children by mmdet names
            self.rpn_head = MODELS.build(dict(copy.deepcopy(dict(rpn_head)), num_classes=1,
                                              train_cfg=train_cfg.get('rpn'), test_cfg=test_cfg.get('rpn')))
            roi_head = copy.deepcopy(dict(roi_head))
            roi_head['bbox_head'] = dict(roi_head['bbox_head'], embed_dims=self.clip.embed_dims,
                                         num_classes=len(self.train_vocab))
            self.roi_head = MODELS.build(dict(roi_head, train_cfg=train_cfg.get('rcnn'),
                                              test_cfg=test_cfg.get('rcnn')))
        for part, name in ((self.roi_head, 'ensembling'), (self.roi_head.bbox_head, 'use_vocabulary')):
            if not hasattr(part, name):
                raise TypeError(f'{type(part).__name__} cannot switch vocabularies: use umgclip_mm.OVStandardRoIHead '
                                f'with umgclip_mm.OVShared2FCBBoxHead')
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.log_parameter_counts()

    def use_vocabulary(self, vocab: Vocabulary, class_embeds: Tensor) -> None:
        """Hand ``vocab`` and its class embeddings to the box head (the mask head is class-agnostic)."""
        self.roi_head.bbox_head.use_vocabulary(vocab, class_embeds)

    def extract_feat(self, batch_inputs: Tensor):
        """The neck's pyramid of the frozen tower's feature maps."""
        return self.pyramid(self.clip_features(batch_inputs, with_dense=False))

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """mmdet's RPN and RoI losses against the training vocabulary."""
        self._switch_vocabulary('train')
        return super().loss(batch_inputs, batch_data_samples)

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList, rescale: bool = True) -> SampleList:
        """Boxes (and masks) in the test vocabulary; with ``ensemble`` set, box scores combine the head's and the
        frozen UMG-CLIP's scores of the boxes before NMS (see the class docstring).

        An image padded beyond its own ``pad_shape`` (to a larger image's size in the batch) is predicted alone, as
        in a batch of one: the frozen tower attends over the whole padded grid and fits its position embeddings to
        it, and the RPN proposes in the padding, so its predictions would otherwise depend on the rest of the
        batch."""
        shapes = [tuple(s.metainfo.get('pad_shape', batch_inputs.shape[-2:]))[:2] for s in batch_data_samples]
        if len(shapes) > 1 and any(shape != tuple(batch_inputs.shape[-2:]) for shape in shapes):
            for i, (h, w) in enumerate(shapes):
                batch_data_samples[i].set_metainfo(dict(batch_input_shape=(h, w)))
                self.predict(batch_inputs[i:i + 1, :, :h, :w], batch_data_samples[i:i + 1], rescale=rescale)
            return batch_data_samples
        self._switch_vocabulary('test')
        feats = self.clip_features(batch_inputs, with_dense=self.ensemble is not None)
        x = self.pyramid(feats)
        # Under autocast (`--dtype bf16`) the tower and the neck run in the low dtype, the RPN, the RoI head and the
        # ensemble's RoIAlign in fp32: mmcv's nms and roi_align have no bfloat16 CPU kernel, and these parts are a
        # tenth of the detector's time (docs/inference.md). Without autocast this changes nothing.
        with torch.autocast(batch_inputs.device.type, enabled=False):
            x, feats = _to_fp32(x), _to_fp32(feats)
            if batch_data_samples[0].get('proposals', None) is None:
                rpn_results_list = self.rpn_head.predict(x, batch_data_samples, rescale=False)
            else:
                rpn_results_list = [s.proposals for s in batch_data_samples]
            if self.ensemble is None:
                results_list = self.roi_head.predict(x, rpn_results_list, batch_data_samples, rescale=rescale)
            else:
                with self.roi_head.ensembling(partial(self.apply_ensemble, feats, 'region')):
                    results_list = self.roi_head.predict(x, rpn_results_list, batch_data_samples, rescale=rescale)
        return self.add_pred_to_datasample(batch_data_samples, results_list)

    def _forward(self, batch_inputs: Tensor, batch_data_samples: Optional[SampleList] = None) -> tuple:
        """``tensor`` mode: mmdet's (RPN and RoI head outputs, test vocabulary)."""
        self._switch_vocabulary('test')
        return super()._forward(batch_inputs, batch_data_samples)
