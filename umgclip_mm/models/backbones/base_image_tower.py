"""BaseImageTower: what every CLIP image tower of the project shares, whatever runs its blocks."""
import logging
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmdet.utils import OptConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch.utils.checkpoint import checkpoint

from ..layers.token_reduction import check_token_reduction, kept_positions, reduce_patch_tokens, restore_patch_grid

Grid = Tuple[int, int]


def pretrained_init_cfg(owner: str, pretrained: Optional[str], init_cfg: OptMultiConfig) -> OptMultiConfig:
    """Turn mmseg's ``pretrained=`` backbone argument into an ``init_cfg``, as mmseg's own backbones do.

    mmseg's segmentors hand their ``pretrained`` to ``backbone.pretrained``. A path becomes
    ``dict(type='Pretrained', checkpoint=path, prefix='backbone.')``: the image tower of a UMGCLIP checkpoint
    (``clip2umgclip.py`` output or a pretraining run), with a warning naming that ``init_cfg``.

    Args:
        owner (str): Class name, for the messages.
        pretrained (str, optional): Checkpoint path, or None.
        init_cfg (dict | list[dict], optional): The ``init_cfg`` given alongside.

    Returns:
        dict | list[dict], optional: The ``init_cfg`` to use.
    """
    if pretrained is None:
        return init_cfg
    if not isinstance(pretrained, str):
        raise TypeError(f'{owner}: pretrained must be a checkpoint path (str) or None, got {pretrained!r}')
    if init_cfg is not None:
        raise ValueError(f'{owner}: both pretrained={pretrained!r} and init_cfg={init_cfg!r} are set; keep only '
                         "init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')")
    init_cfg = dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')
    print_log(f'{owner}: pretrained= is deprecated, as in mmseg; using init_cfg={init_cfg}', logger='current',
              level=logging.WARNING)
    return init_cfg


class BaseImageTower(BaseModule):
    """Base of the CLIP image towers: everything but the layers.

    A subclass builds its layers, calls :meth:`_freeze` at the end of ``__init__``, and implements
    :meth:`embed` (images to tokens), :meth:`run_block` (one transformer block) and :meth:`project` (final norm
    and projection into the joint space). This class runs them in :meth:`forward_features` with activation
    checkpointing, training-time token reduction (reduce after the embedding, mask empty clusters in attention,
    map every output back to the full patch grid), the feature maps at ``out_indices``, and the dense outputs.
    Sequences start with ``num_prefix_tokens`` tokens (the class token) before the patches; the first one gives the
    global embedding.

    Args:
        patch_size (int): Patch size in pixels.
        embed_dims (int): Token width.
        num_layers (int): Number of blocks.
        output_dims (int): Width of the joint image-text space.
        out_indices (Sequence[int]): Blocks whose outputs ``forward`` returns as ``[B, C, h, w]`` maps (negative
            indices count from the end).
        dense_mode (str): How dense features reach the joint space, one of ``dense_modes``. ``'plain'``: the last
            block's patch tokens through :meth:`project`; ``'value'`` (towers implementing :meth:`value_path`):
            the value path of the last block's attention instead (MaskCLIP).
        token_reduction (dict, optional): Training-time token reduction (UMG-CLIP drops 75%):
            ``dict(type='cluster', keep_ratio=0.25, iters=3)`` merges patch tokens into k-means clusters,
            ``dict(type='random', keep_ratio=0.25)`` keeps a random subset. Dense outputs are mapped back to the
            full grid: a cluster's output fills each of its patches; dropped random patches are zero and marked
            invalid in ``valid``.
        with_cp (bool): Activation checkpointing of every block.
        frozen (bool): Freeze every parameter and keep the tower in eval mode.
        pretrained (str, optional): mmseg's backbone argument; see :func:`pretrained_init_cfg`.
        init_cfg (dict, optional): Initialisation, e.g. ``dict(type='Pretrained', checkpoint=..., prefix=...)``.
        feature_stride (int, optional): Input pixels per cell of the output grid. None: the patch size; an image
            whose sides are not multiples of it is padded at the bottom and right (with zeros, CLIP's mean colour
            once normalised) up to the next multiple, so every pixel is seen and a box's pixel coordinates over
            the patch size are its grid coordinates. A value other than the patch size resizes the input by
            ``patch_size / feature_stride`` first (sides must be multiples of ``feature_stride``): the task configs
            on 14 px towers set 16, so that their feature maps are at the strides the detection and segmentation
            heads are built for (4 to 32 from the pyramid necks; RoIAlign's and the anchors' scales are fixed per
            level) and an image padded to a multiple of 32 fits any tower, as EVA-02's own detectors run their
            14 px towers with 16 px patches (here without touching the frozen weights).
    """

    dense_modes: Tuple[str, ...] = ('plain', )
    num_prefix_tokens = 1

    def __init__(self,
                 patch_size: int,
                 embed_dims: int,
                 num_layers: int,
                 output_dims: int,
                 out_indices: Sequence[int] = (-1, ),
                 dense_mode: str = 'plain',
                 token_reduction: OptConfigType = None,
                 with_cp: bool = False,
                 frozen: bool = False,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None,
                 feature_stride: Optional[int] = None):
        super().__init__(pretrained_init_cfg(type(self).__name__, pretrained, init_cfg))
        if feature_stride is not None and (int(feature_stride) != feature_stride or feature_stride < 1):
            raise ValueError(f'{type(self).__name__}: feature_stride must be a positive integer (input pixels per '
                             f'grid cell), got {feature_stride!r}')
        self.feature_stride = int(feature_stride or patch_size)
        if dense_mode not in self.dense_modes:
            raise ValueError(f'{type(self).__name__}: dense_mode must be one of {self.dense_modes}, '
                             f'got {dense_mode!r}')
        self.patch_size = patch_size
        self.embed_dims = embed_dims
        self.num_layers = num_layers
        self.output_dims = output_dims
        out_indices = list(out_indices)
        if not out_indices or any(not -num_layers <= i < num_layers for i in out_indices) or \
                len({i % num_layers for i in out_indices}) != len(out_indices):
            raise ValueError(f'{type(self).__name__}: out_indices={tuple(out_indices)} must be distinct blocks in '
                             f'[-{num_layers}, {num_layers}) for a tower of num_layers={num_layers}')
        self.out_indices = sorted(i % num_layers for i in out_indices)
        self.dense_mode = dense_mode
        self.token_reduction = check_token_reduction(token_reduction)
        self.with_cp = with_cp
        self.frozen = frozen

    def _freeze(self) -> None:
        """Freeze every parameter of a ``frozen`` tower; subclasses call it once their layers are built."""
        if self.frozen:
            self.requires_grad_(False)

    def train(self, mode: bool = True) -> 'BaseImageTower':
        """Set train mode, except that a frozen tower stays in eval mode."""
        return super().train(mode and not self.frozen)

    def fit_input(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``[B, 3, H, W]`` as the patch embedding takes them (see ``feature_stride``): resized by
        ``patch_size / feature_stride``, or padded at the bottom and right to multiples of the patch size; the
        output grid is then ``ceil(H / feature_stride) x ceil(W / feature_stride)``."""
        h, w = x.shape[-2:]
        p, s = self.patch_size, self.feature_stride
        if s != p:
            if h % s or w % s:
                raise ValueError(f'{type(self).__name__}: an input of {h}x{w} px; with feature_stride={s} (patch size '
                                 f'{p}) its sides must be multiples of {s}: pad the images (the data preprocessor\'s '
                                 f'pad_size_divisor / size_divisor) to a multiple of {s}')
            return F.interpolate(x, size=(h // s * p, w // s * p), mode='bilinear', align_corners=False,
                                 antialias=s > p)
        if h % p or w % p:
            x = F.pad(x, (0, -w % p, 0, -h % p))
        return x

    def embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, Grid, Optional[torch.Tensor]]:
        """Images ``[B, 3, H, W]`` to the input of the first block.

        Returns:
            tuple: tokens ``[B, num_prefix_tokens + h * w, C]``, the patch grid ``(h, w)``, and the per-patch
            position tensor that :meth:`run_block` reads (``[h * w, ...]``, e.g. a rotary embedding), or None.
        """
        raise NotImplementedError

    def run_block(self, index: int, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None,
                  pos: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Run block ``index`` on tokens ``x`` (``attn_mask``: boolean key mask, True where attention is allowed;
        ``pos``: the position tensor of :meth:`embed`, ``[B, K, ...]`` after token reduction)."""
        raise NotImplementedError

    def project(self, tokens: torch.Tensor) -> torch.Tensor:
        """Final norm and projection into the joint space: ``[..., C] -> [..., output_dims]``."""
        raise NotImplementedError

    def value_path(self, x: torch.Tensor) -> torch.Tensor:
        """The last block's attention value path on its input ``x`` (``dense_mode='value'``)."""
        raise NotImplementedError(f"{type(self).__name__} has no dense_mode='value'")

    def reduce_tokens(self, x: torch.Tensor) -> Tuple[torch.Tensor, dict]:
        """Apply ``token_reduction`` to embedded tokens ``[B, P + N, C]`` (the ``P`` prefix tokens are kept).

        Returns:
            tuple: the reduced tokens ``[B, P + K, C]`` and what :func:`restore_patch_grid` needs to map them back
            (``attn_mask`` hides empty clusters from attention).
        """
        p = self.num_prefix_tokens
        patches, info = reduce_patch_tokens(x[:, p:], self.token_reduction, p)
        return torch.cat([x[:, :p], patches], 1), info

    def _block(self, index: int, x: torch.Tensor, attn_mask: Optional[torch.Tensor],
               pos: Optional[torch.Tensor]) -> torch.Tensor:
        if self.with_cp and torch.is_grad_enabled():
            return checkpoint(self.run_block, index, x, attn_mask, pos, use_reentrant=False)
        return self.run_block(index, x, attn_mask, pos)

    def _to_grid(self, tokens: torch.Tensor, grid: Grid) -> torch.Tensor:
        """Patch tokens ``[B, h * w, C]`` -> ``[B, C, h, w]``."""
        return tokens.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], *grid)

    def forward_features(self, x: torch.Tensor, with_dense: bool = True) -> Dict[str, Union[torch.Tensor, List]]:
        """Run the tower once and return every output.

        Args:
            x (Tensor): Images ``[B, 3, H, W]`` normalised with the tower's mean and std.
            with_dense (bool): Also compute the dense outputs (skip them when only the global embedding is needed).

        Returns:
            dict: ``global_embeds`` ``[B, D]`` (not normalised), ``feature_maps`` (list of ``[B, C, h, w]``, one per
            ``out_indices``) and ``grid`` ``(h, w)``; with ``with_dense`` also ``dense_tokens`` ``[B, C, h, w]``
            (the last block's patch tokens, before the final norm: what region and mask poolers pool),
            ``dense_proj`` ``[B, D, h, w]`` (dense features in the joint space, not normalised) and ``valid``
            (``[B, 1, h, w]`` float, 0 where token reduction dropped a patch; None without reduction).
        """
        x, grid, pos = self.embed(self.fit_input(x))
        p = self.num_prefix_tokens
        info, attn_mask = None, None
        if self.token_reduction and self.training:
            x, info = self.reduce_tokens(x)
            attn_mask = info.get('attn_mask')
            if pos is not None:  # each reduced token reads the position of its kept patch or cluster medoid
                pos = pos[kept_positions(info)]
        feature_maps, last_input = [], None
        for i in range(self.num_layers):
            if i == self.num_layers - 1:
                last_input = x
            x = self._block(i, x, attn_mask, pos)
            if i in self.out_indices:
                feature_maps.append(self._to_grid(restore_patch_grid(x[:, p:], info)[0], grid))
        out = dict(global_embeds=self.project(x[:, 0]), feature_maps=feature_maps, grid=grid)
        if with_dense:
            tokens, valid = restore_patch_grid(x[:, p:], info)
            if self.dense_mode == 'value':
                patches = restore_patch_grid(self.value_path(last_input)[:, p:], info)[0]
            else:
                patches = tokens
            out['dense_tokens'] = self._to_grid(tokens, grid)
            out['dense_proj'] = self._to_grid(self.project(patches), grid)
            out['valid'] = None if valid is None else valid.reshape(-1, 1, *grid)
        return out

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Feature maps ``[B, C, h, w]`` at ``out_indices``, the backbone contract of mmdet / mmseg necks."""
        return tuple(self.forward_features(x, with_dense=False)['feature_maps'])
