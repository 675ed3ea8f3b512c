"""ZeroShotClassifier: a frozen UMG-CLIP classifying images, given boxes or given masks by the text embeddings of
class names, for mmpretrain's (and any mmengine) runner."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement, InstanceData
from torch import Tensor

from umgclip_mm.registry import MODELS
from umgclip_mm.vocabulary import Vocabulary
from umgclip_mm.vocabulary.imagenet_templates import resolve_templates, resolve_vocabulary

from ..open_vocab import OpenVocabMixin
from ..pretrainers.umgclip import default_data_preprocessor

LEVELS = ('image', 'region', 'mask')
# Where a data sample keeps the given boxes / masks: mmdet's ``gt_instances``, or PackUMGInputs' ``regions`` /
# ``masks`` (the toy world and any UMG-format set).
ITEM_FIELDS = dict(region=(('gt_instances', 'bboxes'), ('regions', 'bboxes')),
                   mask=(('gt_instances', 'masks'), ('masks', 'masks')))


def given_items(sample: BaseDataElement, level: str) -> Optional[Tensor]:
    """The boxes (``[K, 4]`` xyxy, input pixels) or masks (``[K, H, W]``) of one sample for ``level``; ``None``
    when it has none. mmdet's ``BitmapMasks`` and ``HorizontalBoxes`` become tensors."""
    for field, geometry in ITEM_FIELDS[level]:
        instances = sample.get(field)
        if instances is not None and geometry in instances:
            items = instances.get(geometry)
            if hasattr(items, 'to_tensor'):  # mmdet BitmapMasks / PolygonMasks
                items = items.to_tensor(torch.bool, 'cpu')
            items = getattr(items, 'tensor', items)  # mmdet HorizontalBoxes
            return torch.as_tensor(items)
    return None


def load_umgclip_checkpoint(module: torch.nn.Module, state_dict: dict, prefix: str, *args) -> None:
    """Load-state-dict pre-hook of a model holding a UMG-CLIP as ``clip``: a UMG-CLIP checkpoint (``backbone.*``,
    ``text_encoder.*``, ``logit_scale``: ours or converted) loads into ``clip``, so ``tools/test.py CONFIG
    CHECKPOINT`` takes any of them; the model's own state dict (``clip.*``) loads as it is."""
    keys = [k for k in state_dict if k.startswith(prefix)]
    if any(k.startswith(f'{prefix}clip.') for k in keys):
        return
    for key in keys:
        state_dict[f'{prefix}clip.{key[len(prefix):]}'] = state_dict.pop(key)


@MODELS.register_module()
class ZeroShotClassifier(OpenVocabMixin, BaseModel):
    """Zero-shot recognition with a frozen UMG-CLIP: each image (level ``'image'``), each given box (``'region'``,
    as ``encode_regions``) and each given mask (``'mask'``, as ``encode_masks``) is scored against the class
    embeddings of ``vocab`` (per class, the normalised mean over templates and synonyms of the text embeddings, from
    the shared :class:`VocabularyEncoder` and its cache) at the model's temperature. One pass of the image tower
    serves every level.

    Nothing trains; the model runs under mmpretrain's test loop with its ``PackInputs`` / ``DataSample`` and
    metrics (``Accuracy``, ``SingleLabelMetric``): at image level ``predict`` sets ``pred_score`` (softmax) and
    ``pred_label``. Boxes and masks come with the data sample (mmdet's ``gt_instances``, or the UMG format's
    ``regions`` / ``masks``); ``predict`` sets ``pred_regions`` / ``pred_masks`` = ``InstanceData(scores [K, C],
    labels [K])``, one row per given item, in order (:class:`ZeroShotRecognitionMetric`).

    Args:
        clip (dict): :class:`UMGCLIP` config, its ``init_cfg`` loading the checkpoint (ours, or one converted by
            ``tools/model_converters/clip2umgclip.py``).
        vocab: The classes, in label order: a spec for :func:`~umgclip_mm.vocabulary.build_vocabulary` (names,
            a file with one per line, ``dict(dataset='mmpretrain.CIFAR10')``) or ``'openai_imagenet'`` (CLIP's
            curated names of ImageNet-1k's labels).
        vocab_encoder (dict, optional): :class:`VocabularyEncoder` options; ``templates`` defaults to
            ``'openai_imagenet'`` (CLIP's 80 ImageNet prompts), any list works; ``cache_dir`` keeps the
            class embeddings on disk across runs.
        levels (str | Sequence[str]): Any of ``'image'``, ``'region'``, ``'mask'``.
        data_preprocessor (dict, optional): Defaults to CLIP's mean/std with BGR -> RGB (mmcv loads BGR).
        init_cfg (dict, optional): Unused (the weights come with ``clip``).

    A checkpoint of :class:`UMGCLIP` loads into the classifier as it is (``load_from``, ``tools/test.py CONFIG
    CHECKPOINT``): its keys are mapped to ``clip.*``.
    """

    def __init__(self,
                 clip: dict,
                 vocab: Union[str, Sequence[str], dict, Vocabulary],
                 vocab_encoder: Optional[dict] = None,
                 levels: Union[str, Sequence[str]] = 'image',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor or default_data_preprocessor(), init_cfg=init_cfg)
        self.levels = (levels, ) if isinstance(levels, str) else tuple(levels)
        if not self.levels or not set(self.levels) <= set(LEVELS):
            raise ValueError(f'ZeroShotClassifier: levels={levels!r}; use some of {LEVELS}')
        vocab_encoder = dict(vocab_encoder or {})
        vocab_encoder['templates'] = resolve_templates(vocab_encoder.get('templates', 'openai_imagenet'))
        vocab = resolve_vocabulary(vocab)
        self.init_open_vocab(clip, vocab, vocab_encoder=vocab_encoder)
        self.register_load_state_dict_pre_hook(load_umgclip_checkpoint)

    def use_vocabulary(self, vocab: Vocabulary, class_embeds: Tensor) -> None:
        """Nothing to hand on: the class embeddings are used as they come."""

    def logits(self, inputs: Tensor, data_samples: Optional[List[BaseDataElement]] = None) -> Dict[str, List]:
        """Per level, per image, ``[K_i, C]`` scaled cosine similarities to the class embeddings
        (``logit_scale * embed @ class_embeds.T``; ``K_i = 1`` at image level)."""
        class_embeds = self._switch_vocabulary('test')
        scale = self.clip.get_logit_scale().detach()
        feats = self.clip_features(inputs, with_dense=self.levels != ('image', ))
        out = {}
        for level in self.levels:
            if level == 'image':
                embeds = list(F.normalize(feats['global_embeds'], dim=-1)[:, None])
            else:
                if data_samples is None:
                    raise ValueError(f'ZeroShotClassifier at level {level!r} needs data samples carrying the boxes '
                                     f'or masks (gt_instances, or the UMG format\'s regions / masks)')
                items = [given_items(s, level) for s in data_samples]
                if level == 'mask':  # at each image's size: pad to the batch's padded size, image at the top left
                    H, W = inputs.shape[-2:]
                    items = [None if m is None else F.pad(m, (0, W - m.shape[-1], 0, H - m.shape[-2]))
                             for m in items]
                with torch.no_grad():
                    pooled, _ = self.clip.pool(level, feats, items)
                embeds = list(pooled.split([0 if x is None else len(x) for x in items]))
            out[level] = [scale * e @ class_embeds.t().to(e) for e in embeds]
        return out

    def forward(self, inputs: Tensor, data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'predict'):
        """``'predict'``: data samples with predictions; ``'tensor'``: the logits (``[B, C]`` for image level
        alone, else :meth:`logits`' dict). There is nothing to train (``'loss'`` is refused)."""
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            logits = self.logits(inputs, data_samples)
            return torch.cat(logits['image']) if self.levels == ('image', ) else logits
        raise RuntimeError(f'ZeroShotClassifier has nothing to train (mode={mode!r}); evaluate it with '
                           f'tools/test.py (a test_cfg / test_dataloader / test_evaluator config)')

    def predict(self, inputs: Tensor, data_samples: Optional[List[BaseDataElement]] = None) -> List:
        """Set ``pred_score`` / ``pred_label`` (image level; mmpretrain ``DataSample`` s are made when none are
        given) and ``pred_regions`` / ``pred_masks`` = ``InstanceData(scores [K, C], labels [K])``."""
        logits = self.logits(inputs, data_samples)
        if data_samples is None:
            from mmpretrain.structures import DataSample
            data_samples = [DataSample() for _ in range(len(inputs))]
        for level, per_image in logits.items():
            for sample, lg in zip(data_samples, per_image):
                scores = lg.softmax(-1)
                if level == 'image':
                    sample.set_field(scores[0], 'pred_score')
                    sample.set_field(scores[0].argmax(-1, keepdim=True), 'pred_label')
                else:
                    sample.set_field(InstanceData(scores=scores, labels=scores.argmax(-1)), f'pred_{level}s')
        return data_samples
