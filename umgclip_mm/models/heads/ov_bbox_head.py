"""OVShared2FCBBoxHead: mmdet's two-fc box head whose classifier is a set of text embeddings plus a background."""
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from torch import Tensor

from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary import Vocabulary

from ..open_vocab import TextEmbeddingClassifier


@MODELS.register_module()
class OVShared2FCBBoxHead(Shared2FCBBoxHead):
    """mmdet's ``Shared2FCBBoxHead`` for an open vocabulary (F-VLM's detector head).

    The linear ``fc_cls`` becomes a :class:`TextEmbeddingClassifier`: each RoI feature is projected into the
    UMG-CLIP joint space and scored by scaled cosine similarity against the class text embeddings of the current
    vocabulary (set by the detector with :meth:`use_vocabulary`) and a learnable background embedding, which comes
    last, where mmdet's heads keep the background. Box regression is class-agnostic, so no weight depends on the
    vocabulary: one checkpoint detects any list of classes. Sampling, targets, losses and NMS are mmdet's.

    Args:
        embed_dims (int): Width of the joint image-text space (filled in by the detector).
        logit_scale (float): Fixed inverse temperature of the cosine logits (F-VLM: 1 / 0.01; CLIP: 1 / 0.07).
        **kwargs: What ``mmdet.Shared2FCBBoxHead`` takes; ``num_classes`` is the initial (training) vocabulary's
            size and ``reg_class_agnostic`` must be True.
    """

    def __init__(self, embed_dims: int, logit_scale: float = 1 / 0.07, **kwargs):
        if not kwargs.setdefault('reg_class_agnostic', True):
            raise ValueError('OVShared2FCBBoxHead regresses boxes class-agnostically (its vocabulary changes): '
                             'leave reg_class_agnostic=True')
        super().__init__(**kwargs)
        if self.custom_cls_channels:
            raise ValueError(f'OVShared2FCBBoxHead scores C classes plus background; loss_cls '
                             f'{type(self.loss_cls).__name__} asks for its own channel layout')
        self.fc_cls = TextEmbeddingClassifier(self.cls_last_dim, embed_dims, self.num_classes, logit_scale)
        if isinstance(self.init_cfg, list):  # mmdet's Normal init of a linear fc_cls does not apply any more
            self.init_cfg = [c for c in self.init_cfg
                             if not (isinstance(c.get('override'), dict) and c['override'].get('name') == 'fc_cls')]

    def use_vocabulary(self, vocab: Vocabulary, class_embeds: Tensor) -> None:
        """Classify against ``vocab``'s ``class_embeds`` ``[C, D]`` (L2-normalised text embeddings); background is
        ``C``."""
        self.fc_cls.use_vocabulary(vocab, class_embeds)
        self.num_classes = len(class_embeds)
