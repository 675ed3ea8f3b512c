"""TextEmbeddingClassifier: scores features against the text embeddings of a vocabulary plus a learnable void."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary import Vocabulary


@MODELS.register_module()
class TextEmbeddingClassifier(nn.Module):
    """An open-vocabulary drop-in for ``nn.Linear(in_dims, num_classes + 1)``.

    Features are projected into the joint image-text space and scored by scaled cosine similarity against the class
    embeddings (text embeddings of the vocabulary, held in a non-persistent buffer: they are recomputed from the text
    tower, never saved) and a learnable void embedding, which comes last. Nothing learnable depends on the
    vocabulary, so the vocabulary can change between training and testing.

    Args:
        in_dims (int): Width of the input features.
        embed_dims (int): Width of the joint space.
        num_classes (int): Size of the initial vocabulary (the buffer is resized by :meth:`use_vocabulary`).
        logit_scale (float): Fixed inverse temperature (CLIP's ``1 / 0.07``).
    """

    def __init__(self, in_dims: int, embed_dims: int, num_classes: int, logit_scale: float = 1 / 0.07):
        super().__init__()
        self.embed_dims = embed_dims
        self.logit_scale = logit_scale
        self.proj = nn.Linear(in_dims, embed_dims)
        self.void_embed = nn.Parameter(torch.randn(embed_dims) * embed_dims**-0.5)
        self.register_buffer('class_embeds', torch.zeros(num_classes, embed_dims), persistent=False)

    @property
    def num_classes(self) -> int:
        return self.class_embeds.shape[0]

    def use_vocabulary(self, vocab: Vocabulary, class_embeds: Tensor) -> None:
        """Classify against ``vocab``'s ``class_embeds`` ``[C, D]`` (L2-normalised) from now on.

        Args:
            vocab (Vocabulary): The vocabulary (its size must be ``C``).
            class_embeds (Tensor): ``[C, D]`` class embeddings.
        """
        if len(vocab) != len(class_embeds):
            raise ValueError(f'{len(vocab)} classes in the vocabulary but {len(class_embeds)} class embeddings')
        if class_embeds.dim() != 2 or class_embeds.shape[1] != self.embed_dims:
            raise ValueError(f'class embeddings must be [num_classes, {self.embed_dims}], got '
                             f'{tuple(class_embeds.shape)}')
        class_embeds = class_embeds.detach().to(self.class_embeds)
        if class_embeds.shape == self.class_embeds.shape:
            self.class_embeds.copy_(class_embeds)  # in place: a DDP-registered buffer stays the same tensor
        else:
            self.class_embeds = class_embeds.clone()

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``[..., num_classes + 1]`` of features ``[..., in_dims]``, void last."""
        q = F.normalize(self.proj(x), dim=-1)
        weights = torch.cat([self.class_embeds.to(q.dtype), F.normalize(self.void_embed, dim=0)[None].to(q.dtype)])
        return self.logit_scale * q @ weights.t()
