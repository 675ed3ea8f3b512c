"""VocabularyEncoder: the text embeddings of a vocabulary, computed once per (weights, classes, templates)."""
import hashlib
import logging
import json
import os
import os.path as osp
from collections import OrderedDict
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor

from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary import DEFAULT_TEMPLATES, Vocabulary, build_vocabulary, check_templates


@MODELS.register_module()
class VocabularyEncoder(BaseModule):
    """Turns a :class:`~umgclip_mm.vocabulary.Vocabulary` into classifier weights: per class, the L2-normalised mean
    over prompt templates and synonyms of a (frozen) text tower's embeddings. Every open-vocabulary task model
    (panoptic, semantic, detection, classification) gets its class embeddings here.

    Embeddings are computed once per (text-tower weights, classes, templates) and kept:

    - in memory (``max_cached`` vocabularies, least recently used first out), keyed by the identity and in-place
      version counter of every text-tower tensor, so loading other weights (``load_state_dict`` copies in place,
      which bumps the counters) or moving the model is noticed at no cost;
    - optionally on disk (``cache_dir``), keyed by a SHA-256 of the text tower's weights, the classes and the
      templates, so e.g. ImageNet's 1000 classes x 80 templates are encoded once per machine. Files are written
      atomically and read weights-only.

    Nothing is saved in checkpoints: the module has no parameters or buffers.

    Args:
        templates (Sequence[str]): Prompt templates, each with one ``{}``.
        cache_dir (str, optional): Folder of the on-disk cache (created on first write); ``None``: memory only.
        batch_size (int): Prompts encoded per text-tower call.
        max_cached (int): Vocabularies kept in memory.
        init_cfg (dict, optional): Unused (no weights); accepted for the ``BaseModule`` contract.
    """

    def __init__(self,
                 templates: Sequence[str] = DEFAULT_TEMPLATES,
                 cache_dir: Optional[str] = None,
                 batch_size: int = 256,
                 max_cached: int = 8,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        self.templates = check_templates(templates)
        self.cache_dir = osp.expanduser(cache_dir) if cache_dir else None
        self.batch_size = batch_size
        self.max_cached = max_cached
        self._memory = OrderedDict()
        self._digests = {}  # version key of the text tower -> SHA-256 of its weights
        self.num_encoded = 0  # prompts run through a text tower (for tests and logs)

    @staticmethod
    def _version_key(text_tower: torch.nn.Module) -> Tuple:
        return tuple((t.data_ptr(), t._version, t.device.type) for t in text_tower.state_dict().values())

    def _digest(self, text_tower: torch.nn.Module, version: Tuple) -> str:
        if version not in self._digests:
            h = hashlib.sha256()
            for name, t in text_tower.state_dict().items():
                h.update(name.encode())
                h.update(t.detach().cpu().reshape(-1).view(torch.uint8).numpy().tobytes())
            self._digests = {version: h.hexdigest()}
        return self._digests[version]

    def _file(self, digest: str, vocab: Vocabulary) -> str:
        key = json.dumps([digest, vocab.synonyms, self.templates]).encode()
        return osp.join(self.cache_dir, f'{hashlib.sha256(key).hexdigest()[:40]}.pt')

    @torch.no_grad()
    def encode(self, clip: torch.nn.Module, vocab: Vocabulary) -> Tensor:
        """Run the text tower: ``[C, D]`` L2-normalised float32 class embeddings (no cache). Autocast is off, so
        embeddings computed in an ``--amp`` training step equal (and may be cached for) full-precision runs."""
        prompts, owner = [], []
        for c, syns in enumerate(vocab.synonyms):
            for name in syns:
                prompts += [t.format(name) for t in self.templates]
                owner += [c] * len(self.templates)
        device = next(iter(clip.text_encoder.state_dict().values())).device
        with torch.autocast(device_type=device.type, enabled=False):
            embeds = torch.cat([clip.encode_text(prompts[i:i + self.batch_size])
                                for i in range(0, len(prompts), self.batch_size)]).float()
        self.num_encoded += len(prompts)
        sums = embeds.new_zeros(len(vocab), embeds.shape[1])
        sums.index_add_(0, torch.tensor(owner, device=embeds.device), embeds)
        return F.normalize(sums, dim=-1)

    def forward(self, clip: torch.nn.Module, vocab) -> Tensor:
        """Class embeddings ``[C, D]`` of ``vocab`` (a :class:`Vocabulary` or a spec for :func:`build_vocabulary`)
        by ``clip``'s text tower (``clip.text_encoder``, ``clip.encode_text``), from a cache when possible."""
        vocab = build_vocabulary(vocab)
        version = self._version_key(clip.text_encoder)
        key = (version, vocab.synonyms, self.templates)
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        embeds = None
        path = self._file(self._digest(clip.text_encoder, version), vocab) if self.cache_dir else None
        if path and osp.isfile(path):
            device = next(iter(clip.text_encoder.state_dict().values())).device
            try:
                embeds = torch.load(path, map_location=device, weights_only=True)['embeds']
            except Exception as err:  # a truncated or foreign file: recompute and overwrite it
                print_log(f'text-embedding cache {path} is unreadable ({err}); recomputing it', logger='current',
                          level=logging.WARNING)
        if embeds is None:
            embeds = self.encode(clip, vocab)
            if path:
                os.makedirs(self.cache_dir, exist_ok=True)
                tmp = f'{path}.{os.getpid()}.tmp'
                torch.save(dict(embeds=embeds.cpu(), classes=vocab.names, templates=self.templates), tmp)
                os.replace(tmp, path)
        self._memory[key] = embeds
        while len(self._memory) > self.max_cached:
            self._memory.popitem(last=False)
        return embeds
