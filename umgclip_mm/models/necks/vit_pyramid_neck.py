"""ViTPyramidNeck: ViTDet's simple feature pyramid, from a plain ViT's last feature map to strides 4..32."""
import math
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_activation_layer, build_norm_layer
from mmengine.model import BaseModule

from umgclip_mm.registry import MODELS


@MODELS.register_module()
class ViTPyramidNeck(BaseModule):
    """The simple feature pyramid of ViTDet (Li et al., "Exploring Plain Vision Transformer Backbones for Object
    Detection", ECCV 2022), what mmdet's ViTDet project calls ``SimpleFPN`` (that class is not in the installed
    mmdet package, so ``type='mmdet.SimpleFPN'`` does not build).

    One map of a plain ViT (stride = patch size) becomes a pyramid: each scale factor above 1 is reached by 2x2
    stride-2 transposed convolutions (channels halved each time; norm and activation between two of them), 1 keeps
    the map, each factor below 1 is a 2x2 max pool; every level then gets a 1x1 and a 3x3 convolution with norm to
    ``out_channels``. With a 16 px patch the default factors give strides 4, 8, 16, 32, the input of mmdet's RPN,
    RoI heads and Mask2Former, and of mmseg's UPerHead; ``num_outs`` above the number of factors adds levels by
    stride-2 subsampling of the last one (as mmdet's ``FPN`` without extra convolutions: Mask R-CNN's stride 64).

    Args:
        in_channels (int | Sequence[int]): Channels of the backbone's map (the tower's ``embed_dims``); a sequence
            (one per backbone map, as mmseg's necks take it) is read at ``in_index``.
        out_channels (int): Channels of every output level. Defaults to 256.
        scale_factors (Sequence[float]): Powers of 2, one per output level, relative to the input map.
            Defaults to (4.0, 2.0, 1.0, 0.5).
        num_outs (int, optional): Number of outputs, at least ``len(scale_factors)``. Defaults to that length.
        in_index (int): Which of the backbone's maps to use. Defaults to -1 (the last block in ``out_indices``).
        norm_cfg (dict): Norm of every convolution, a channels-first one. Defaults to mmpretrain's ``LN2d``
            (ViTDet's LayerNorm over channels); ``dict(type='SyncBN')`` / ``dict(type='GN', num_groups=32)`` work.
        act_cfg (dict): Activation between two transposed convolutions. Defaults to GELU.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: Union[int, Sequence[int]],
                 out_channels: int = 256,
                 scale_factors: Sequence[float] = (4.0, 2.0, 1.0, 0.5),
                 num_outs: Optional[int] = None,
                 in_index: int = -1,
                 norm_cfg: Dict = dict(type='mmpretrain.LN2d'),
                 act_cfg: Dict = dict(type='GELU'),
                 init_cfg: Optional[Dict] = None):
        super().__init__(init_cfg=init_cfg)
        num_outs = len(scale_factors) if num_outs is None else num_outs
        if num_outs < len(scale_factors):
            raise ValueError(f'ViTPyramidNeck: num_outs={num_outs} is below the {len(scale_factors)} scale_factors '
                             f'{tuple(scale_factors)}; give num_outs >= {len(scale_factors)} or fewer factors')
        if not isinstance(in_channels, int):
            in_channels = list(in_channels)[in_index]
        self.in_channels, self.out_channels = in_channels, out_channels
        self.scale_factors, self.num_outs, self.in_index = tuple(scale_factors), num_outs, in_index
        self.stages = nn.ModuleList()
        for factor in self.scale_factors:
            steps = math.log2(factor) if factor > 0 else float('nan')
            if not float(steps).is_integer():
                raise ValueError(f'ViTPyramidNeck: scale factor {factor} is not a power of 2; use factors like '
                                 '4.0, 2.0, 1.0, 0.5')
            resize, channels = self._resize(int(steps), in_channels, norm_cfg, act_cfg)
            self.stages.append(nn.Sequential(
                resize,
                ConvModule(channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None),
                ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg, act_cfg=None)))

    @staticmethod
    def _resize(steps: int, channels: int, norm_cfg: Dict, act_cfg: Dict) -> Tuple[nn.Module, int]:
        """The layers that scale a map by ``2 ** steps``, and the channels they leave.

        Args:
            steps (int): log2 of the scale factor: transposed convolutions above 0, max pools below.
            channels (int): Channels of the input map.
            norm_cfg (dict): Norm between two transposed convolutions.
            act_cfg (dict): Activation after that norm.
        """
        if steps <= 0:
            return nn.Sequential(*[nn.MaxPool2d(2, 2) for _ in range(-steps)]), channels
        layers = []
        for i in range(steps):
            if i:
                layers += [build_norm_layer(norm_cfg, channels)[1], build_activation_layer(act_cfg)]
            layers.append(nn.ConvTranspose2d(channels, channels // 2, 2, stride=2))
            channels //= 2
        return nn.Sequential(*layers), channels

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        """Build the pyramid from one of the backbone's maps.

        Args:
            inputs (Sequence[Tensor]): The backbone's maps; ``inputs[in_index]`` is ``[B, in_channels, h, w]``.

        Returns:
            tuple[Tensor]: ``num_outs`` maps ``[B, out_channels, h * s, w * s]``, in the order of the factors, then
            the extra levels.
        """
        x = inputs[self.in_index]
        if x.shape[1] != self.in_channels:
            raise ValueError(f'ViTPyramidNeck: the backbone map has {x.shape[1]} channels, in_channels is '
                             f'{self.in_channels}; set in_channels to the tower\'s embed_dims')
        outs = [stage(x) for stage in self.stages]
        while len(outs) < self.num_outs:
            outs.append(F.max_pool2d(outs[-1], 1, stride=2))
        return tuple(outs)
