"""OVMask2FormerSegHead: the open-vocabulary Mask2Former head trained from semantic label maps (mmseg's way)."""
import dataclasses

from mmseg.models.decode_heads.mask2former_head import Mask2FormerHead as SegMask2FormerHead
from torch import Tensor

from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary import Vocabulary

from .ov_mask2former_head import OVMask2FormerHead


@MODELS.register_module()
class OVMask2FormerSegHead(OVMask2FormerHead):
    """:class:`OVMask2FormerHead` (mmdet's Mask2Former with a text-embedding classifier) for semantic segmentation
    under mmseg's runner: ``loss`` takes mmseg's ``SegDataSample`` batch, turns each label map into one mask per
    class present (mmseg's ``Mask2FormerHead._seg_data_to_instance_data``, pixels at ``ignore_index`` in no mask)
    and computes Mask2Former's losses. Every class of a semantic vocabulary is a "thing" here (no panoptic merge).
    Prediction is the segmentor's (:class:`OVEncoderDecoder`), which adds the ensemble.

    Args:
        ignore_index (int): Label of unlabelled pixels (255; 65535 for 16-bit label maps).
        align_corners (bool): ``align_corners`` of the segmentor's resizing of the output.
        **kwargs: What :class:`OVMask2FormerHead` takes.
    """

    # mmseg's conversion and loss, as they are: both only read ``ignore_index`` and mmdet's Mask2Former methods
    _seg_data_to_instance_data = SegMask2FormerHead._seg_data_to_instance_data
    loss = SegMask2FormerHead.loss

    def __init__(self, ignore_index: int = 255, align_corners: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.ignore_index = ignore_index
        self.align_corners = align_corners

    def use_vocabulary(self, vocab: Vocabulary, class_embeds: Tensor) -> None:
        """Classify against ``vocab``'s ``class_embeds``, every class a "thing" (no stuff merge in semantic
        segmentation)."""
        super().use_vocabulary(dataclasses.replace(vocab, num_things=len(vocab)), class_embeds)
