"""OOVEnsemble: the frozen UMG-CLIP's own class scores of predicted masks or boxes, ensembled with a task head's."""
import logging
import warnings
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor

from umgclip_mm.registry import MODELS


def geometric_ensemble(in_vocab_logits: Tensor, oov_logits: Tensor, seen: Tensor, alpha: float, beta: float,
                       valid: Optional[Tensor] = None, eps: float = 1e-8) -> Tensor:
    """Combine a classifier's logits with the frozen CLIP's, class by class (FC-CLIP's geometric ensemble).

    ``p_in`` is the softmax of ``in_vocab_logits`` over classes and void; ``p_oov`` the softmax of ``oov_logits``
    over classes. For a class seen in training the combined score is ``p_in^(1 - alpha) * p_oov^alpha``, for an
    unseen one ``p_in^(1 - beta) * p_oov^beta``. The scores are renormalised over the classes and share the
    probability that is not void: ``p = softmax(log score) * (1 - p_void)``.

    Args:
        in_vocab_logits (Tensor): ``[..., C + 1]`` (void, or background, last).
        oov_logits (Tensor): ``[..., C]``.
        seen (Tensor): ``[C]`` bool, the classes seen in training.
        alpha (float): Weight of the frozen CLIP for seen classes (FC-CLIP: 0.4).
        beta (float): Weight of the frozen CLIP for unseen classes (FC-CLIP: 0.8).
        valid (Tensor, optional): ``[...]`` bool; where False (e.g. an empty mask had nothing to pool) the
            in-vocabulary probabilities are kept unchanged.
        eps (float): Floor of the probabilities before the logarithm.

    Returns:
        Tensor: ``[..., C + 1]`` log-probabilities (void last), a drop-in for the logits.
    """
    p_in = F.softmax(in_vocab_logits.float(), dim=-1)
    p_void = p_in[..., -1:]
    log_in = p_in[..., :-1].clamp(min=eps).log()
    log_oov = F.log_softmax(oov_logits.float(), dim=-1)
    w = torch.where(seen.to(log_in.device), alpha, beta).to(log_in)
    if valid is not None:
        w = w * valid[..., None].to(w)
    probs = F.softmax((1 - w) * log_in + w * log_oov, dim=-1) * (1 - p_void)
    return torch.cat([probs, p_void], dim=-1).clamp(min=eps).log().to(in_vocab_logits.dtype)


@MODELS.register_module()
class OOVEnsemble(BaseModule):
    """The ensemble every open-vocabulary task model calls at prediction (FC-CLIP, F-VLM).

    Each predicted mask (``level='mask'``) or box (``level='region'``) pools the frozen UMG-CLIP's dense features
    from the same forward pass (:meth:`UMGCLIP.pool`: mask pooling or RoIAlign, then the tower's final norm and
    projection, i.e. ``encode_masks`` / ``encode_regions`` without a second pass), is classified against the class
    embeddings at the tower's own temperature, and the result is combined with the task head's logits by
    :func:`geometric_ensemble`: weight ``alpha`` for classes seen in training, ``beta`` for the others. An item
    that covered no feature cell keeps the head's scores. No parameters.

    Args:
        alpha (float): Weight of the frozen model for seen classes (FC-CLIP: 0.4).
        beta (float): Weight of the frozen model for unseen classes (FC-CLIP: 0.8).
        mask_threshold (float): A predicted mask (logits) covers the pixels above this (0: probability 0.5).
        init_cfg (dict, optional): Unused (no weights).
    """

    def __init__(self, alpha: float = 0.4, beta: float = 0.8, mask_threshold: float = 0.0,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        for name, value in (('alpha', alpha), ('beta', beta)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f'OOVEnsemble: {name} must be in [0, 1], got {value}')
        self.alpha, self.beta, self.mask_threshold = alpha, beta, mask_threshold

    def logits(self, clip: torch.nn.Module, feats: dict, level: str, items: List[Tensor],
               class_embeds: Tensor) -> Tuple[Tensor, Tensor]:
        """The frozen model's class logits ``[sum K_i, C]`` of per-image masks (``[K_i, H, W]`` logits) or boxes
        (``[K_i, 4]`` xyxy, input pixels), and whether each item covered any feature cell ``[sum K_i]``."""
        if level == 'mask':
            items = [(m > self.mask_threshold).to(feats['dense_tokens'].dtype) for m in items]
        embeds, covered = clip.pool(level, feats, items)
        return clip.get_logit_scale() * embeds @ class_embeds.to(embeds).t(), covered

    def forward(self, clip: torch.nn.Module, feats: dict, level: str, items: List[Tensor], in_vocab_logits: Tensor,
                class_embeds: Tensor, seen: Tensor) -> Tensor:
        """Ensembled log-probabilities shaped like ``in_vocab_logits`` (``[..., C + 1]``, void last; its leading
        dimensions hold the items of all images in order, e.g. ``[B, Q, C + 1]`` for ``B`` images of ``Q`` masks).

        Args:
            clip (nn.Module): The frozen :class:`UMGCLIP`.
            feats (dict): Its ``forward_features`` output for the batch (with the dense outputs).
            level (str): ``'mask'`` or ``'region'``.
            items (list[Tensor]): Per image, mask logits ``[K_i, H, W]`` or boxes ``[K_i, 4]``.
            in_vocab_logits (Tensor): The task head's logits.
            class_embeds (Tensor): ``[C, D]`` text embeddings of the vocabulary.
            seen (Tensor): ``[C]`` bool, classes of the training vocabulary.
        """
        oov, covered = self.logits(clip, feats, level, items, class_embeds)
        shape = in_vocab_logits.shape[:-1]
        return geometric_ensemble(in_vocab_logits, oov.view(*shape, -1), seen, self.alpha, self.beta,
                                  covered.view(shape))


@MODELS.register_module(name='OOVScorer')
def build_deprecated_oov_scorer(**kwargs) -> OOVEnsemble:
    """Deprecated config key ``type='umgclip_mm.OOVScorer'`` (published configs): builds an :class:`OOVEnsemble`
    with the same arguments and warns.

    Args:
        **kwargs: What :class:`OOVEnsemble` takes.

    Returns:
        OOVEnsemble: The ensemble.
    """
    message = "type='umgclip_mm.OOVScorer' is deprecated: write type='umgclip_mm.OOVEnsemble' (the same arguments)"
    warnings.warn(message, DeprecationWarning, stacklevel=2)
    print_log(message, logger='current', level=logging.WARNING)
    return OOVEnsemble(**kwargs)
