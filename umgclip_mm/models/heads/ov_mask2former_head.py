"""OVMask2FormerHead: mmdet's Mask2Former head whose classifier is a set of text embeddings, not a linear layer."""
from mmdet.models.dense_heads import Mask2FormerHead
from mmengine.config import ConfigDict
from torch import Tensor

from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary import Vocabulary

from ..open_vocab import TextEmbeddingClassifier


@MODELS.register_module()
class OVMask2FormerHead(Mask2FormerHead):
    """Mask2Former head for an open vocabulary.

    mmdet's ``Mask2FormerHead`` with its linear ``cls_embed`` replaced by a :class:`TextEmbeddingClassifier`: each
    query is projected into the UMG-CLIP joint space and scored against the text embeddings of the current
    vocabulary (set by the detector with :meth:`use_vocabulary`) and a learnable void embedding, the "no object"
    class. No parameter depends on the vocabulary, so one checkpoint serves any vocabulary: ``num_things_classes``,
    ``num_stuff_classes`` and the classification loss's class weight (``1`` per class, ``void_weight`` for void)
    follow the vocabulary that is set. Everything else (pixel decoder, masked-attention decoder, Hungarian matching,
    point-sampled mask losses) is mmdet's.

    Args:
        embed_dims (int): Width of the joint image-text space (the text embeddings' width).
        logit_scale (float): Fixed inverse temperature of the cosine logits (CLIP's ``1 / 0.07``).
        void_weight (float): Classification loss weight of the void class (Mask2Former: 0.1).
        **kwargs: What ``mmdet.Mask2FormerHead`` takes; ``num_things_classes`` / ``num_stuff_classes`` give the
            initial (training) vocabulary size, and ``loss_cls`` must not fix ``class_weight``.
    """

    def __init__(self, embed_dims: int, logit_scale: float = 1 / 0.07, void_weight: float = 0.1, **kwargs):
        loss_cls = ConfigDict(kwargs.pop('loss_cls', None) or dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0, reduction='mean'))
        if loss_cls.get('class_weight') is not None:
            raise ValueError('OVMask2FormerHead sets the class weight per vocabulary: leave loss_cls.class_weight '
                             'unset and give void_weight instead')
        num_classes = kwargs.get('num_things_classes', 80) + kwargs.get('num_stuff_classes', 53)
        loss_cls['class_weight'] = [1.0] * num_classes + [void_weight]
        super().__init__(loss_cls=loss_cls, **kwargs)
        self.void_weight = void_weight
        self.cls_embed = TextEmbeddingClassifier(self.decoder_embed_dims, embed_dims, num_classes, logit_scale)

    def use_vocabulary(self, vocab: Vocabulary, class_embeds: Tensor) -> None:
        """Classify against ``vocab``'s ``class_embeds`` ``[C, D]`` (L2-normalised text embeddings, its thing
        classes first)."""
        self.cls_embed.use_vocabulary(vocab, class_embeds)
        self.num_things_classes = vocab.num_things
        self.num_stuff_classes = len(class_embeds) - vocab.num_things
        self.num_classes = len(class_embeds)
        self.class_weight = [1.0] * self.num_classes + [self.void_weight]
        self.loss_cls.class_weight = self.class_weight
