"""Training-time visual token reduction (UMG-CLIP: keep 25% of the patch tokens), shared by the image towers."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F


def check_token_reduction(cfg: Optional[dict]) -> Optional[dict]:
    """Validate a ``token_reduction`` config and fill its defaults (``cluster``, ``keep_ratio=0.25``,
    ``iters=3``)."""
    if not cfg:
        return None
    cfg = dict(cfg)
    kind = cfg.setdefault('type', 'cluster')
    ratio = cfg.setdefault('keep_ratio', 0.25)
    cfg.setdefault('iters', 3)
    if kind not in ('cluster', 'random') or not 0 < ratio <= 1:
        raise ValueError(f"token_reduction needs type 'cluster' or 'random' and 0 < keep_ratio <= 1, got {cfg}")
    return cfg


def reduce_patch_tokens(patches: torch.Tensor, cfg: dict, num_prefix_tokens: int = 1) -> Tuple[torch.Tensor, dict]:
    """Reduce patch tokens ``[B, N, C]`` to ``[B, K, C]``, ``K = round(keep_ratio * N)``.

    ``random`` keeps a random subset (FLIP). ``cluster`` merges the tokens into ``K`` k-means clusters (cosine
    similarity, ``iters`` rounds, initialised on a regular subset) and returns the cluster means.

    Returns:
        tuple: the tokens and what :func:`restore_patch_grid` needs: ``keep`` ``[B, K]`` (random), or ``assign``
        ``[B, N]`` (each patch's cluster), ``medoid`` ``[B, K]`` (for each cluster, the patch nearest its centre:
        where a position-dependent embedding such as RoPE is read) and ``attn_mask`` ``[B, 1, 1, num_prefix_tokens
        + K]`` (bool, False for empty clusters: the key mask of the reduced sequence, prefix tokens such as the class
        token first).
    """
    B, N, C = patches.shape
    K = max(1, int(round(N * cfg['keep_ratio'])))
    if cfg['type'] == 'random':
        keep = torch.rand(B, N, device=patches.device).argsort(dim=1)[:, :K]
        return patches.gather(1, keep[..., None].expand(-1, -1, C)), dict(keep=keep, num_patches=N)
    with torch.no_grad():
        feats = F.normalize(patches.detach().float(), dim=-1)
        centers = feats[:, torch.linspace(0, N - 1, K, device=patches.device).round().long()]
        for _ in range(cfg['iters']):
            assign = (feats @ centers.transpose(1, 2)).argmax(-1)
            onehot = F.one_hot(assign, K).float()
            sums = onehot.transpose(1, 2) @ feats
            centers = torch.where(onehot.sum(1)[..., None] > 0, F.normalize(sums, dim=-1), centers)
        sim = feats @ centers.transpose(1, 2)  # [B, N, K]
        assign = sim.argmax(-1)
        member = F.one_hot(assign, K).bool()
        medoid = sim.masked_fill(~member, float('-inf')).argmax(1)  # [B, K]
    onehot = F.one_hot(assign, K).to(patches.dtype)
    counts = onehot.sum(1)
    merged = (onehot.transpose(1, 2) @ patches) / counts.clamp(min=1)[..., None]
    keys = torch.cat([counts.new_ones(B, num_prefix_tokens, dtype=torch.bool), counts > 0], 1)
    return merged, dict(assign=assign, medoid=medoid, attn_mask=keys[:, None, None, :])


def restore_patch_grid(tokens: torch.Tensor, info: Optional[dict]) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Map reduced patch tokens ``[B, K, C]`` back to the full grid ``[B, N, C]``; also return the validity
    ``[B, N]`` of each position (None when every position holds features: a cluster's output fills each of its
    patches; a randomly dropped patch is zero and invalid)."""
    if info is None:
        return tokens, None
    C = tokens.shape[-1]
    if 'assign' in info:
        return tokens.gather(1, info['assign'][..., None].expand(-1, -1, C)), None
    keep = info['keep']
    full = tokens.new_zeros(tokens.shape[0], info['num_patches'], C)
    full = full.scatter(1, keep[..., None].expand(-1, -1, C), tokens)
    valid = tokens.new_zeros(tokens.shape[0], info['num_patches']).scatter(1, keep, 1.0)
    return full, valid


def kept_positions(info: dict) -> torch.Tensor:
    """``[B, K]``: the patch index whose position each reduced token takes (kept patch, or cluster medoid)."""
    return info['keep'] if 'keep' in info else info['medoid']
