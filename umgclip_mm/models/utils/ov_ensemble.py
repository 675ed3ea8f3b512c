"""The geometric ensemble of in-vocabulary and out-of-vocabulary class probabilities (FC-CLIP)."""
import torch
import torch.nn.functional as F
from torch import Tensor


def geometric_ensemble(in_vocab_logits: Tensor, oov_logits: Tensor, seen: Tensor, alpha: float, beta: float,
                       valid: Tensor = None, eps: float = 1e-8) -> Tensor:
    """Combine a classifier's logits with the frozen CLIP's, class by class.

    ``p_in`` is the softmax of ``in_vocab_logits`` over classes and void; ``p_oov`` the softmax of ``oov_logits``
    over classes. For a class seen in training the combined score is ``p_in^(1 - alpha) * p_oov^alpha``, for an
    unseen one ``p_in^(1 - beta) * p_oov^beta``. The scores are renormalised over the classes and share the
    probability that is not void: ``p = softmax(log score) * (1 - p_void)``.

    Args:
        in_vocab_logits (Tensor): ``[..., C + 1]`` (void last).
        oov_logits (Tensor): ``[..., C]``.
        seen (Tensor): ``[C]`` bool, the classes seen in training.
        alpha (float): Weight of the frozen CLIP for seen classes (FC-CLIP: 0.4).
        beta (float): Weight of the frozen CLIP for unseen classes (FC-CLIP: 0.8).
        valid (Tensor, optional): ``[...]`` bool; where False (e.g. an empty mask had nothing to pool) the
            in-vocabulary probabilities are kept unchanged.

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
