"""OVMask2Former: open-vocabulary panoptic segmentation on a frozen UMG-CLIP, with mmdet's Mask2Former parts."""
import copy
from typing import Dict, List, Optional, Tuple

from mmdet.models.detectors import MaskFormer
from mmdet.models.detectors.base import BaseDetector
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.registry import DefaultScope
from torch import Tensor

from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary import Vocabulary

from ..open_vocab import OpenVocabMixin


@MODELS.register_module()
class OVMask2Former(OpenVocabMixin, MaskFormer):
    """Mask2Former on a frozen UMG-CLIP, classifying masks by text: open-vocabulary panoptic segmentation.

    - The UMG-CLIP model (image and text towers) is frozen and stays in eval mode (:class:`OpenVocabMixin`). Its
      image tower's feature maps go through ``neck`` (e.g. mmseg's ``MultiLevelNeck``: ViT features to a 4-level
      pyramid) into mmdet's Mask2Former pixel decoder and masked-attention decoder (``panoptic_head``, an
      :class:`OVMask2FormerHead`). Only the neck and the head train.
    - Classes are text: the head scores queries against the class embeddings of the shared
      :class:`VocabularyEncoder` (mean over prompt templates and synonyms, cached; never saved).
    - ``train_vocab`` is what the head is trained on; ``test_vocab`` (default: the same) is what ``predict``
      segments. A checkpoint has no vocabulary-sized parameter, so switching the test vocabulary (and the data set)
      is all it takes to evaluate COCO-trained weights on ADE20K.
    - The ensemble (``predict`` only, FC-CLIP): the shared :class:`OOVEnsemble` classifies every predicted
      mask by the frozen model's own mask-pooled embedding from the same forward pass, and combines it with the
      head's scores (``alpha`` for classes of ``train_vocab``, ``beta`` for the others).

    Args:
        clip (dict): Config of the :class:`UMGCLIP` model (towers, and its ``init_cfg`` to load pretrained
            weights).
        panoptic_head (dict): Config of :class:`OVMask2FormerHead`; ``embed_dims`` and the class counts are filled in.
        panoptic_fusion_head (dict): Config of :class:`OVMaskFormerFusionHead`; class counts are filled in.
        train_vocab (dict | list | str): Vocabulary spec (see :func:`~umgclip_mm.vocabulary.build_vocabulary`) of
            the training data set.
        test_vocab (dict | list | str, optional): Vocabulary spec of the evaluation data set (default:
            ``train_vocab``).
        neck (dict, optional): Neck config; an absent ``in_channels`` becomes the tower width per feature map.
        vocab_encoder (dict, optional): :class:`VocabularyEncoder` config (``templates``, ``cache_dir``).
        ensemble (dict, optional): :class:`OOVEnsemble` config, e.g. ``dict(alpha=0.4, beta=0.8)``; ``None`` turns the
            ensemble off.
        train_cfg (dict, optional): Mask2Former's (assigner, sampler, points).
        test_cfg (dict, optional): Mask2Former's panoptic post-processing.
        data_preprocessor (dict, optional): mmdet's ``DetDataPreprocessor`` config (CLIP mean and std).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 clip: ConfigType,
                 panoptic_head: ConfigType,
                 panoptic_fusion_head: ConfigType,
                 train_vocab,
                 test_vocab=None,
                 neck: OptConfigType = None,
                 vocab_encoder: OptConfigType = None,
                 ensemble: OptConfigType = dict(alpha=0.4, beta=0.8),
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None):
        BaseDetector.__init__(self, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.init_open_vocab(clip, train_vocab, test_vocab, vocab_encoder, ensemble)
        self.init_neck(neck)
        # mmdet's parts build their children by unprefixed mmdet names, so they are built in mmdet's scope whatever
        # the caller's default scope is.
        with DefaultScope.overwrite_default_scope('mmdet'):
            vocab = self.train_vocab
            counts = dict(num_things_classes=vocab.num_things, num_stuff_classes=len(vocab) - vocab.num_things)
            self.panoptic_head = MODELS.build(
                dict(copy.deepcopy(dict(panoptic_head)), embed_dims=self.clip.embed_dims, train_cfg=train_cfg,
                     test_cfg=test_cfg, **counts))
            self.panoptic_fusion_head = MODELS.build(
                dict(copy.deepcopy(dict(panoptic_fusion_head)), test_cfg=test_cfg, **counts))
        for part in (self.panoptic_head, self.panoptic_fusion_head):
            if not hasattr(part, 'use_vocabulary'):
                raise TypeError(f'{type(part).__name__} cannot switch vocabularies: use umgclip_mm.OVMask2FormerHead '
                                f'and umgclip_mm.OVMaskFormerFusionHead')
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.log_parameter_counts()

    @property
    def num_things_classes(self) -> int:
        """Thing classes of the active vocabulary."""
        return self.panoptic_head.num_things_classes

    @property
    def num_classes(self) -> int:
        """Classes of the active vocabulary."""
        return self.panoptic_head.num_classes

    def use_vocabulary(self, vocab: Vocabulary, class_embeds: Tensor) -> None:
        """Hand ``vocab`` and its class embeddings to the head and the fusion head."""
        self.panoptic_head.use_vocabulary(vocab, class_embeds)
        self.panoptic_fusion_head.use_vocabulary(vocab, class_embeds)

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor, ...]:
        """The neck's pyramid of the frozen tower's feature maps."""
        return self.pyramid(self.clip_features(batch_inputs, with_dense=False))

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Mask2Former's losses against the training vocabulary."""
        self._switch_vocabulary('train')
        return self.panoptic_head.loss(self.extract_feat(batch_inputs), batch_data_samples)

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList, rescale: bool = True) -> SampleList:
        """Panoptic, instance and semantic results (``pred_panoptic_seg``, ``pred_instances``, ``pred_sem_seg``, per
        ``test_cfg``'s ``*_on``) in the test vocabulary; with ``ensemble``
        set, class scores combine the head's and the frozen UMG-CLIP's (see the class docstring)."""
        self._switch_vocabulary('test')
        clip_feats = self.clip_features(batch_inputs, with_dense=self.ensemble is not None)
        mask_cls, mask_pred = self.panoptic_head.predict(self.pyramid(clip_feats), batch_data_samples)
        mask_cls = self.apply_ensemble(clip_feats, 'mask', list(mask_pred), mask_cls)
        results = self.panoptic_fusion_head.predict(mask_cls, mask_pred, batch_data_samples, rescale=rescale)
        return self.add_pred_to_datasample(batch_data_samples, results)

    def add_pred_to_datasample(self, data_samples: SampleList, results_list: List[dict]) -> SampleList:
        """mmdet's, plus ``pred_sem_seg`` (semantic labels, with ``test_cfg.semantic_on``)."""
        for data_sample, results in zip(data_samples, results_list):
            if 'sem_results' in results:
                data_sample.pred_sem_seg = results.pop('sem_results')
        return super().add_pred_to_datasample(data_samples, results_list)

    def _forward(self, batch_inputs: Tensor, batch_data_samples: Optional[SampleList] = None) -> Tuple[List[Tensor]]:
        """``tensor`` mode: the head's per-layer class logits and mask logits (test vocabulary)."""
        self._switch_vocabulary('test')
        return self.panoptic_head.forward(self.extract_feat(batch_inputs), batch_data_samples)
