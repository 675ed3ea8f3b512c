"""FrozenCLIPMixin: a task model around a frozen UMG-CLIP (built, frozen, kept in eval mode, read in one pass)."""
from typing import Tuple

import torch
from mmengine.logging import print_log
from torch import Tensor

from umgclip_mm.registry import MODELS


class FrozenCLIPMixin:
    """Mixed into a model that holds a frozen :class:`UMGCLIP` as ``clip``: :class:`OpenVocabMixin` (every
    open-vocabulary task model) and models without a vocabulary, such as the zero-shot retriever. The model calls
    :meth:`init_frozen_clip` after ``nn.Module.__init__``; ``train()`` then keeps ``clip`` in eval mode.
    """

    def init_frozen_clip(self, clip: dict) -> None:
        """Build ``clip`` from its config (its ``init_cfg`` loads pretrained weights), frozen and in eval mode.

        Args:
            clip (dict): Config of the :class:`UMGCLIP` model.
        """
        self.clip = MODELS.build(clip)
        self.clip.requires_grad_(False)
        self.clip.eval()

    def train(self, mode: bool = True):
        """Set train mode; the frozen UMG-CLIP stays in eval mode."""
        super().train(mode)
        self.clip.eval()
        return self

    def parameter_counts(self) -> Tuple[int, int]:
        """``(trainable, total)`` parameter counts."""
        params = list(self.parameters())
        return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)

    def log_parameter_counts(self) -> None:
        """Log the trainable fraction (everything but the frozen towers)."""
        trainable, total = self.parameter_counts()
        print_log(f'{type(self).__name__}: {trainable / 1e6:.2f}M of {total / 1e6:.2f}M parameters train '
                  f'({100.0 * trainable / max(total, 1):.2f}%); the UMG-CLIP towers are frozen', logger='current')

    def clip_features(self, inputs: Tensor, with_dense: bool = True) -> dict:
        """One pass of the frozen image tower (:meth:`UMGCLIP.forward_features`)."""
        with torch.no_grad():
            return self.clip.forward_features(inputs, with_dense=with_dense)
