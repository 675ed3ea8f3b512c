"""VocabularyEncoder: the text embeddings of a vocabulary, computed once per (weights, classes, templates)."""
import hashlib
import json
import logging
import os
import os.path as osp
import pickle
import tempfile
import zipfile
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor

from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary import DEFAULT_TEMPLATES, Vocabulary, build_vocabulary, check_templates
from .encoding_progress import EncodingProgress, ProgressReport

#: Environment variable naming the root of the machine's umgclip_mm caches (text embeddings in ``text_embeddings/``).
CACHE_ENV = 'UMGCLIP_CACHE_DIR'
#: ``cache_dir`` value meaning the machine's shared cache (:func:`default_cache_dir`).
SHARED_CACHE = 'default'
PRECISIONS = {'fp32': None, 'bf16': torch.bfloat16}
# What a truncated, foreign or hand-edited cache file raises when read weights-only.
_UNREADABLE = (RuntimeError, EOFError, OSError, ValueError, KeyError, TypeError, pickle.UnpicklingError,
               zipfile.BadZipFile)


def default_cache_dir() -> str:
    """The text-embedding cache every config and tool on this machine shares: ``$UMGCLIP_CACHE_DIR/text_embeddings``
    when the variable is set, else ``$XDG_CACHE_HOME/umgclip_mm/text_embeddings`` (``~/.cache/...``)."""
    root = os.environ.get(CACHE_ENV)
    if not root:
        root = osp.join(os.environ.get('XDG_CACHE_HOME') or osp.join(osp.expanduser('~'), '.cache'), 'umgclip_mm')
    return osp.join(osp.expanduser(root), 'text_embeddings')


@MODELS.register_module()
class VocabularyEncoder(BaseModule):
    """Turns a :class:`~umgclip_mm.vocabulary.Vocabulary` into classifier weights: per class, the L2-normalised mean
    over prompt templates and synonyms of a (frozen) text tower's embeddings. Every open-vocabulary task model
    (panoptic, semantic, detection, classification) gets its class embeddings here.

    Encoding runs each distinct prompt once, under ``torch.inference_mode``, in batches of similar length (longest
    first) padded only to the longest prompt of the batch, not to the context length: the causal mask keeps every
    token from seeing those after it, so the end-of-text embedding is the padded one's (equal to about 1e-6).
    Progress and an estimate of the time left go to mmengine's logger (every ``log_interval`` seconds, when the
    whole takes longer than a few seconds) and to progress callbacks (:class:`EncodingProgress`).

    Embeddings are computed once per (text-tower weights, classes, templates, precision) and kept:

    - in memory (``max_cached`` vocabularies, least recently used first out), keyed by the identity and in-place
      version counter of every text-tower tensor, so loading other weights (``load_state_dict`` copies in place,
      which bumps the counters) or moving the model is noticed at no cost;
    - on disk (``cache_dir``; by default the machine's shared cache, :func:`default_cache_dir`), keyed by a SHA-256
      of the text tower's weights, the classes and the templates, so e.g. ADE-847's 847 classes x 80 templates are
      encoded once per machine (``tools/analysis/encode_vocabulary.py`` fills it ahead of time). Files are written
      atomically and read weights-only; an unreadable one is recomputed with a warning.

    Nothing is saved in checkpoints: the module has no parameters or buffers.

    Args:
        templates (Sequence[str]): Prompt templates, each with one ``{}``.
        cache_dir (str, optional): Folder of the on-disk cache (created on first write); ``'default'``: the
            machine's shared cache (``$UMGCLIP_CACHE_DIR/text_embeddings``, else
            ``~/.cache/umgclip_mm/text_embeddings``); ``None``: memory only.
        batch_size (int): Prompts encoded per text-tower call.
        max_cached (int): Vocabularies kept in memory.
        precision (str): ``'fp32'``, or ``'bf16'``: the text tower under bf16 autocast. Measured on a random
            ViT-B/16 text tower, ADE-847 x 80 templates, on an AVX512-BF16 CPU (``tools/analysis/benchmark.py
            --what vocabulary``): 2.3x faster than fp32, minimum cosine against fp32 0.99993 per prompt and 0.99997
            per class. The default stays fp32: cached embeddings then equal ``clip.encode_text``'s to 1e-6 (what
            the models' parity tests check) and bf16 is slow on CPUs without native bf16; real CLIP weights are not
            measured here. Whatever autocast surrounds the call is ignored.
        log_interval (float): Seconds between progress lines in the log.
        init_cfg (dict, optional): Unused (no weights); accepted for the ``BaseModule`` contract.
    """

    def __init__(self,
                 templates: Sequence[str] = DEFAULT_TEMPLATES,
                 cache_dir: Optional[str] = SHARED_CACHE,
                 batch_size: int = 256,
                 max_cached: int = 8,
                 precision: str = 'fp32',
                 log_interval: float = 15.0,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        if precision not in PRECISIONS:
            raise ValueError(f'VocabularyEncoder: precision must be one of {sorted(PRECISIONS)}, got {precision!r}')
        if batch_size < 1:
            raise ValueError(f'VocabularyEncoder: batch_size must be positive, got {batch_size}')
        self.templates = check_templates(templates)
        if cache_dir == SHARED_CACHE:
            cache_dir = default_cache_dir()
        self.cache_dir = osp.expanduser(cache_dir) if cache_dir else None
        self.batch_size = batch_size
        self.max_cached = max_cached
        self.precision = precision
        self.log_interval = log_interval
        #: Called with an :class:`EncodingProgress` while a vocabulary is encoded, when ``forward`` / ``encode``
        #: get no ``progress`` of their own (for callers that do not call the encoder themselves, e.g. a web page
        #: around a prediction).
        self.progress_callback: Optional[Callable[[EncodingProgress], None]] = None
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

    def cache_file(self, clip: torch.nn.Module, vocab) -> Optional[str]:
        """Path of ``vocab``'s file in the disk cache for ``clip``'s text tower (``None`` without a disk cache)."""
        if not self.cache_dir:
            return None
        vocab = build_vocabulary(vocab)
        digest = self._digest(clip.text_encoder, self._version_key(clip.text_encoder))
        fields = [digest, vocab.synonyms, self.templates] + ([self.precision] if self.precision != 'fp32' else [])
        key = json.dumps(fields).encode()
        return osp.join(self.cache_dir, f'{hashlib.sha256(key).hexdigest()[:40]}.pt')

    def prompts(self, vocab: Vocabulary) -> Tuple[List[str], Tensor, Tensor]:
        """The distinct prompts of ``vocab`` and how they sum into classes: ``(prompts, owner, index)``, where
        prompt occurrence ``k`` (template x synonym x class) belongs to class ``owner[k]`` and is distinct prompt
        ``index[k]``."""
        distinct: Dict[str, int] = {}
        owner, index = [], []
        for c, syns in enumerate(vocab.synonyms):
            for name in syns:
                for t in self.templates:
                    index.append(distinct.setdefault(t.format(name), len(distinct)))
                    owner.append(c)
        return list(distinct), torch.tensor(owner), torch.tensor(index)

    def encode(self, clip: torch.nn.Module, vocab, progress: Optional[Callable[[EncodingProgress], None]] = None
               ) -> Tensor:
        """Run the text tower: ``[C, D]`` L2-normalised float32 class embeddings (no cache).

        Args:
            clip (nn.Module): A UMG-CLIP (``clip.text_encoder``, ``clip.encode_text``).
            vocab: A :class:`Vocabulary` or a spec for :func:`build_vocabulary`.
            progress (callable, optional): Called with an :class:`EncodingProgress` before the first batch and after
                each; default :attr:`progress_callback`.
        """
        vocab = build_vocabulary(vocab)
        prompts, owner, index = self.prompts(vocab)
        embeds = self._encode_prompts(clip, prompts, vocab, progress or self.progress_callback)
        self.num_encoded += len(prompts)
        sums = embeds.new_zeros(len(vocab), embeds.shape[1])
        sums.index_add_(0, owner.to(embeds.device), embeds[index.to(embeds.device)])
        return F.normalize(sums, dim=-1)

    def _batches(self, clip: torch.nn.Module, prompts: List[str]):
        """``(prompt indices, token ids [B, L] or None, tokens)`` per batch, longest prompts first; ``L`` is the
        batch's longest prompt. A text tower without a tokenizer gets the strings (``None``) through
        ``clip.encode_text``."""
        tower = clip.text_encoder
        tokenizer = getattr(tower, 'tokenizer', None)
        if tokenizer is None or not hasattr(tokenizer, 'encode'):
            for i in range(0, len(prompts), self.batch_size):
                rows = list(range(i, min(i + self.batch_size, len(prompts))))
                yield rows, None, len(rows)
            return
        ids = [tokenizer.encode(p) for p in prompts]
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        for i in range(0, len(order), self.batch_size):
            rows = order[i:i + self.batch_size]
            tokens = torch.zeros(len(rows), len(ids[rows[0]]), dtype=torch.long)
            for r, k in enumerate(rows):
                tokens[r, :len(ids[k])] = torch.tensor(ids[k])
            yield rows, tokens, tokens.numel()

    def _encode_prompts(self, clip: torch.nn.Module, prompts: List[str], vocab: Vocabulary,
                        progress: Optional[Callable[[EncodingProgress], None]]) -> Tensor:
        """Normalised embeddings ``[N, D]`` of the distinct ``prompts``, in their order."""
        tower = clip.text_encoder
        device = next(iter(tower.state_dict().values())).device
        batches = list(self._batches(clip, prompts))
        total_tokens = sum(b[2] for b in batches)
        report = ProgressReport(len(prompts), len(vocab), len(self.templates), self.log_interval, progress)
        out, done_tokens = None, 0
        dtype = PRECISIONS[self.precision]
        with torch.inference_mode(), torch.autocast(device.type, dtype=dtype or torch.bfloat16,
                                                    enabled=dtype is not None):
            for rows, tokens, n_tokens in batches:
                if tokens is None:
                    embeds = clip.encode_text([prompts[k] for k in rows])
                else:
                    embeds = F.normalize(tower(tokens.to(device)).float(), dim=-1)
                if out is None:
                    out = embeds.new_empty(len(prompts), embeds.shape[1], dtype=torch.float32)
                out[torch.tensor(rows, device=out.device)] = embeds.float()
                done_tokens += n_tokens
                report.step(len(rows), done_tokens / total_tokens)
        report.finish()
        return out.clone()  # a normal tensor (inference tensors cannot be saved for backward or updated in place)

    def forward(self, clip: torch.nn.Module, vocab,
                progress: Optional[Callable[[EncodingProgress], None]] = None) -> Tensor:
        """Class embeddings ``[C, D]`` of ``vocab`` (a :class:`Vocabulary` or a spec for :func:`build_vocabulary`)
        by ``clip``'s text tower (``clip.text_encoder``, ``clip.encode_text``), from a cache when possible.

        Args:
            clip (nn.Module): A UMG-CLIP.
            vocab: The vocabulary.
            progress (callable, optional): See :meth:`encode` (called only when the vocabulary is encoded).
        """
        vocab = build_vocabulary(vocab)
        version = self._version_key(clip.text_encoder)
        key = (version, vocab.synonyms, self.templates, self.precision)
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        path = self.cache_file(clip, vocab)
        device = next(iter(clip.text_encoder.state_dict().values())).device
        embeds = self.load_cached(path, len(vocab), device) if path else None
        if embeds is None:
            embeds = self.encode(clip, vocab, progress)
            if path:
                self._save(path, embeds, vocab)
        self._memory[key] = embeds
        while len(self._memory) > self.max_cached:
            self._memory.popitem(last=False)
        return embeds

    @staticmethod
    def load_cached(path: str, num_classes: int, device) -> Optional[Tensor]:
        """The embeddings in cache file ``path``, or ``None`` when it is absent or unreadable (a warning then)."""
        if not osp.isfile(path):
            return None
        try:
            embeds = torch.load(path, map_location=device, weights_only=True)['embeds']
            if not (isinstance(embeds, Tensor) and embeds.dim() == 2 and embeds.shape[0] == num_classes
                    and embeds.is_floating_point()):
                raise ValueError(f'it holds no [{num_classes}, D] float "embeds" tensor')
        except _UNREADABLE as err:  # truncated, foreign or edited: recompute and overwrite it
            print_log(f'text-embedding cache {path} is unreadable ({err}); recomputing it', logger='current',
                      level=logging.WARNING)
            return None
        return embeds

    def _save(self, path: str, embeds: Tensor, vocab: Vocabulary) -> None:
        """Write the cache file atomically (a temporary file in the same folder, renamed); a folder that cannot be
        written only costs the cache (a warning)."""
        try:
            os.makedirs(self.cache_dir, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.cache_dir, prefix='.tmp-', suffix='.pt')
            try:
                with os.fdopen(fd, 'wb') as f:
                    torch.save(dict(embeds=embeds.cpu(), classes=vocab.names, templates=list(self.templates),
                                    precision=self.precision), f)
                os.replace(tmp, path)
            finally:
                if osp.exists(tmp):
                    os.unlink(tmp)
        except OSError as err:
            print_log(f'cannot write the text-embedding cache {path} ({err}); the embeddings are kept in memory only '
                      f'(set model.vocab_encoder.cache_dir or ${CACHE_ENV} to a writable folder)', logger='current',
                      level=logging.WARNING)
