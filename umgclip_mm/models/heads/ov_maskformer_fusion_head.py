"""OVMaskFormerFusionHead: mmdet's MaskFormer fusion head, told its vocabulary through a method."""
from mmdet.models.seg_heads.panoptic_fusion_heads import MaskFormerFusionHead

from umgclip_mm.registry import MODELS


@MODELS.register_module()
class OVMaskFormerFusionHead(MaskFormerFusionHead):
    """mmdet's ``MaskFormerFusionHead`` (panoptic, semantic and instance post-processing of mask classification)
    for a vocabulary that changes: the open-vocabulary model calls :meth:`set_vocabulary` whenever it switches
    between its training and test vocabularies, instead of setting class counts from outside.

    Args:
        **kwargs: What ``mmdet.MaskFormerFusionHead`` takes; ``num_things_classes`` / ``num_stuff_classes`` are the
            initial vocabulary's.
    """

    def set_vocabulary(self, num_things: int, num_stuff: int) -> None:
        """Post-process for ``num_things`` thing classes followed by ``num_stuff`` stuff classes (void last)."""
        self.num_things_classes = num_things
        self.num_stuff_classes = num_stuff
        self.num_classes = num_things + num_stuff
