"""ZeroShotRetriever: image-text retrieval with a frozen UMG-CLIP under mmpretrain's retrieval loops."""
from typing import List, Optional, Tuple

import torch
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor

from umgclip_mm.registry import MODELS

from ..pretrainers.umgclip import default_data_preprocessor
from ..open_vocab import FrozenCLIPMixin
from .zero_shot_classifier import load_umgclip_checkpoint


def sample_texts(sample: BaseDataElement) -> List[str]:
    """The captions of one sample (``text``: one string or a list, as mmpretrain's retrieval sets give them)."""
    text = sample.get('text')
    if text is None:
        return []
    return [text] if isinstance(text, str) else list(text)


@MODELS.register_module()
class ZeroShotRetriever(FrozenCLIPMixin, BaseModel):
    """Image -> text and text -> image retrieval with a frozen UMG-CLIP, for mmpretrain's ``RetrievalTestLoop``
    / ``RetrievalValLoop`` (which only its BLIP models served): ``forward(mode='tensor')`` gives the batch's
    embeddings, :meth:`predict_all` scores every image against every caption of the set at the model's
    temperature and returns the data samples ``RetrievalRecall`` reads (``pred_score`` over all captions /
    images, ``gt_label`` = the matching ids: an image is found when any of its captions is, as CLIP_benchmark
    counts).

    Args:
        clip (dict): :class:`UMGCLIP` config (a UMG-CLIP checkpoint, ours or converted, loads as it is:
            ``tools/test.py CONFIG CHECKPOINT``).
        data_preprocessor (dict, optional): Defaults to CLIP's mean/std with BGR -> RGB.
        text_batch_size (int): Captions per text-tower call.
        init_cfg (dict, optional): Unused (the weights come with ``clip``).
    """

    def __init__(self, clip: dict, data_preprocessor: Optional[dict] = None, text_batch_size: int = 256,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor or default_data_preprocessor(), init_cfg=init_cfg)
        self.init_frozen_clip(clip)
        self.text_batch_size = text_batch_size
        self.register_load_state_dict_pre_hook(load_umgclip_checkpoint)

    @torch.no_grad()
    def extract_feat(self, inputs: Optional[Tensor], data_samples: Optional[List[BaseDataElement]]) -> dict:
        """``image_feat`` ``[B, D]`` and ``text_feat`` ``[T, D]`` (every caption of the samples, in order),
        L2-normalised."""
        feats = {}
        if inputs is not None:
            feats['image_feat'] = self.clip.encode_image(inputs)
        texts = [t for s in data_samples or [] for t in sample_texts(s)]
        if texts:
            feats['text_feat'] = torch.cat([self.clip.encode_text(texts[i:i + self.text_batch_size])
                                            for i in range(0, len(texts), self.text_batch_size)])
        return feats

    def forward(self, inputs: Optional[Tensor] = None, data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor'):
        """``'tensor'``: :meth:`extract_feat` (what the retrieval loops call); ``'predict'``: :meth:`predict_all`
        within the batch (image -> text samples). There is nothing to train."""
        if mode == 'tensor':
            return self.extract_feat(inputs, data_samples)
        if mode == 'predict':
            return self.predict_all(self.extract_feat(inputs, data_samples), data_samples, cal_t2i=False)[0]
        raise RuntimeError(f'ZeroShotRetriever has nothing to train (mode={mode!r}); evaluate it with '
                           f'tools/test.py and a RetrievalTestLoop config')

    def similarity(self, image_feat: Tensor, text_feat: Tensor) -> Tensor:
        """``[N_img, N_text]`` scaled cosine similarities."""
        return self.clip.get_logit_scale().detach() * image_feat @ text_feat.t()

    def predict_all(self, feats: dict, data_samples: List[BaseDataElement], num_images: Optional[int] = None,
                    num_texts: Optional[int] = None, cal_i2t: bool = True, cal_t2i: bool = True) -> Tuple:
        """Score this rank's images against all captions and its captions against all images (features gathered
        from every rank, cut to the data set's ``num_images`` / ``num_texts``).

        Returns:
            tuple: the image -> text samples (this rank's, ``gt_label`` from ``gt_text_id``) and / or the text ->
            image samples (one per caption, ``gt_label`` from ``gt_image_id``), each with ``pred_score``.
        """
        from mmpretrain.models.multimodal.blip.blip_retrieval import all_gather_concat
        from mmpretrain.structures import DataSample
        image_feat, text_feat = feats['image_feat'], feats['text_feat']
        image_all = all_gather_concat(image_feat)[:num_images or None]
        text_all = all_gather_concat(text_feat)[:num_texts or None]
        results = []
        if cal_i2t:
            scores = self.similarity(image_feat, text_all)
            for sample, score in zip(data_samples, scores):
                if 'gt_text_id' in sample:
                    sample.gt_label = sample.gt_text_id
                sample.pred_score = score
            results.append(data_samples)
        if cal_t2i:
            scores = self.similarity(text_feat, image_all)  # same scale: [N_text, N_img]
            per_text = []
            for sample in data_samples:
                for i, text in enumerate(sample_texts(sample)):
                    per_text.append(DataSample(text=text))
                    if 'gt_image_id' in sample:
                        per_text[-1].gt_label = sample.gt_image_id[i]
            if len(per_text) != len(scores):
                raise ValueError(f'{len(per_text)} captions in the data samples but {len(scores)} text features')
            for sample, score in zip(per_text, scores):
                sample.pred_score = score
            results.append(per_text)
        return tuple(results)
