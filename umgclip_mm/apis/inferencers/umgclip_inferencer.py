"""UMGCLIPInferencer: the UMG-CLIP towers on files, folders, arrays and lists of them (mmengine's ``BaseInferencer``):
image and text embeddings, zero-shot classification through :class:`ZeroShotClassifier` and the config's own test
pipeline (what ``tools/test.py`` evaluates), with drawings and JSON, and phrase grounding (:class:`GroundingMixin`)."""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.dataset import Compose, pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.structures import BaseDataElement

from ..exceptions import InputError
from .clip_inputs import InputsType, clip_test_pipeline, list_inputs, load_image, pipeline_after_loading
from .grounding import GroundingMixin


def _given(module: nn.Module) -> nn.Module:
    """A built module as a registry "type": ``dict(type=_given, module=m)`` builds to ``m``."""
    return module


class UMGCLIPInferencer(GroundingMixin, BaseInferencer):
    """The UMG-CLIP towers as an mm-style inferencer (mmengine's ``BaseInferencer``, like mmdet's ``DetInferencer``
    and mmpretrain's ``ImageClassificationInferencer``): inputs are image files, folders (their image files, sorted),
    numpy arrays, PIL images, or lists of them.

    One path from an image to a score: the model is a :class:`ZeroShotClassifier` (the config's own, or one holding
    the config's :class:`UMGCLIP`), the images go through the config's own test pipeline (a ``ZeroShotClassifier``
    config's; for any other model CLIP's, :func:`clip_test_pipeline`, which is ``imagenet_zeroshot.py``'s), its
    loading step replaced by the inferencer's decoding with the same backend. So the inferencer, ``tools/test.py``
    on the config and :class:`ZeroShotInferencer` give the same scores for the same image.

    - :meth:`encode_image` / :meth:`encode_text`: L2-normalised embeddings in the joint space; with CLIP's pipeline an
      image file gives what ``open_clip``'s ``image_transform`` and the tower give for the same weights.
    - Calling the inferencer classifies the images zero-shot against a vocabulary (class names, ``"a|b"`` for
      synonyms; each class is the normalised mean of its prompt-template embeddings, from the shared
      :class:`VocabularyEncoder`): per image the top-k classes and softmax scores at the tower's temperature
      (``logit_scale``), as dicts, JSON files (``out_dir/preds/<name>.json``) and drawings (the image with a
      panel of the top-k, ``out_dir/vis/<name>.png``). ``docs/inference.md`` has the JSON schema.
    - :meth:`ground`: a free-form phrase's best regions (given boxes, or sliding windows) and masks in one image.

    Args:
        model (str | Config | dict | nn.Module): A config file or object whose ``model`` is a :class:`UMGCLIP`, a
            ``ZeroShotClassifier`` or any model holding a UMG-CLIP as ``clip``; a :class:`UMGCLIP` config itself
            (e.g. what ``umgclip_mm.converters.convert_clip`` returns); or a built model.
        weights (str, optional): Checkpoint of that model or of its UMG-CLIP (loaded weights-only and strictly, as
            :func:`~umgclip_mm.apis.init_model`); ``None`` keeps the config's initialisation.
        device (str, optional): ``'cpu'``, ``'cuda'``, ...; ``None``: mmengine's choice (CUDA if available).
        vocab (optional): Default vocabulary of :meth:`__call__`: class names, a file with one per line, or any spec
            of :func:`~umgclip_mm.vocabulary.build_vocabulary`; default a ``ZeroShotClassifier``'s own.
        templates (optional): Prompt templates (each with one ``{}``) or ``'openai_imagenet'`` (CLIP's 80); default:
            a ``ZeroShotClassifier``'s own, else :data:`~umgclip_mm.vocabulary.DEFAULT_TEMPLATES`.
        image_size (int, optional): Side of CLIP's pipeline for a model without its own (default: the tower's
            ``img_size``); a ``ZeroShotClassifier`` config's pipeline keeps its own size.
        channel_order (str): Channel order of array inputs: ``'bgr'`` (mmcv / cv2, default) or ``'rgb'``.
        scope (str): Registry scope the config is built in.
        show_progress (bool): A progress bar over the batches of :meth:`__call__`.
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = {'draw', 'show', 'img_out_dir'}
    postprocess_kwargs: set = {'topk', 'pred_out_dir', 'print_result'}

    def __init__(self,
                 model: Union[str, Config, dict, nn.Module],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 vocab=None,
                 templates=None,
                 image_size: Optional[int] = None,
                 channel_order: str = 'bgr',
                 scope: str = 'umgclip_mm',
                 show_progress: bool = False) -> None:
        if channel_order not in ('bgr', 'rgb'):
            raise InputError(f"channel_order={channel_order!r}: use 'bgr' (mmcv/cv2 arrays) or 'rgb' (PIL/skimage)")
        self._image_size, self._channel_order, self._templates = image_size, channel_order, templates
        if isinstance(model, nn.Module):
            if weights is not None:
                from ..inference import load_model_weights
                load_model_weights(model, weights)
            self.scope, self.show_progress, self.visualizer = scope, show_progress, None
            self.cfg = getattr(model, 'cfg', None) or ConfigDict()
            self._own_pipeline = self._is_classifier(type(model)) and bool(self.cfg)
            self.model = self._classifier_of(model).to(device or next(model.parameters()).device).eval()
            self.pipeline = self._init_pipeline(self.cfg)
            self.collate_fn = pseudo_collate
        else:
            if isinstance(model, dict) and not isinstance(model, Config) and 'type' in model and 'model' not in model:
                model = dict(model=model)  # a UMGCLIP config itself
            super().__init__(model, weights=weights, device=device, scope=scope, show_progress=show_progress)
        if vocab is None and self._own_pipeline:
            vocab = self.model.test_vocab
        self.vocab = vocab
        self.num_drawn = 0

    # ------------------------------------------------------------------ mmengine's hooks
    @staticmethod
    def _is_classifier(model_or_cls) -> bool:
        from umgclip_mm.models import ZeroShotClassifier
        return isinstance(model_or_cls, type) and issubclass(model_or_cls, ZeroShotClassifier)

    def _init_model(self, cfg: Config, weights: Optional[str], device: str = 'cpu') -> nn.Module:
        """:func:`init_model` of the config's ``ZeroShotClassifier`` at image level, or of one around its model's
        UMG-CLIP (the checkpoint may be either's: a UMG-CLIP's keys load into ``clip``)."""
        from ..inference import init_model, model_class
        self._own_pipeline = self._is_classifier(model_class(cfg))  # else CLIP's pipeline
        if self._own_pipeline:
            cfg.model.levels = ('image', )
            if weights is not None and cfg.model.get('clip') is not None:
                cfg.model.clip.init_cfg = None  # every weight from the checkpoint
            if self._templates is not None:
                cfg.model.vocab_encoder = dict(cfg.model.get('vocab_encoder') or {}, templates=self._templates)
            return init_model(cfg, weights, device=device)
        from umgclip_mm.models import UMGCLIP
        cls = model_class(cfg)
        if not (isinstance(cls, type) and issubclass(cls, UMGCLIP)):
            return self._classifier_of(init_model(cfg, weights, device=device), cfg)  # a model holding one as `clip`
        cfg.model = self._classifier_cfg(cfg.model)
        model = init_model(cfg, weights, device=device)
        model.data_preprocessor = model.clip.data_preprocessor  # the tower's own mean / std
        return model

    def _classifier_cfg(self, clip: dict) -> dict:
        from umgclip_mm.vocabulary import DEFAULT_TEMPLATES
        from umgclip_mm.vocabulary.imagenet_templates import resolve_templates
        templates = resolve_templates(self._templates if self._templates is not None else list(DEFAULT_TEMPLATES))
        return dict(type='umgclip_mm.ZeroShotClassifier', clip=clip, vocab=['object', 'background'],
                    vocab_encoder=dict(templates=templates), levels=('image', ))

    def _classifier_of(self, model: nn.Module, cfg=None) -> nn.Module:
        """``model`` if it is a ``ZeroShotClassifier`` (set to image level), else one around its :class:`UMGCLIP`
        (itself or its ``clip``), sharing the tower's data preprocessor and a task model's vocabulary encoder."""
        from umgclip_mm.models import UMGCLIP
        if self._is_classifier(type(model)):
            model.levels = ('image', )
            return model
        clip = model if isinstance(model, UMGCLIP) else getattr(model, 'clip', None)
        if not isinstance(clip, UMGCLIP):
            where = f' of {cfg.filename}' if getattr(cfg, 'filename', None) else ''
            raise TypeError(f'the model{where} ({type(model).__name__}) is neither a umgclip_mm.UMGCLIP nor holds one '
                            f'as `clip`: give a pretraining or zero-shot config (e.g. '
                            f'configs/quickstart/pretrain_synthetic.py) or the model config '
                            f'tools/model_converters/clip2umgclip.py --save-config writes')
        from umgclip_mm.registry import MODELS
        classifier = MODELS.build(self._classifier_cfg(dict(type=_given, module=clip)))
        classifier.data_preprocessor = clip.data_preprocessor
        if self._templates is None and getattr(model, 'vocab_encoder', None) is not None:
            classifier.vocab_encoder = model.vocab_encoder  # a task model's templates (and cache)
        return classifier.to(next(clip.parameters()).device).eval()

    @property
    def clip(self) -> nn.Module:
        """The :class:`UMGCLIP` (image and text towers) the inferencer runs."""
        return self.model.clip

    def _init_pipeline(self, cfg) -> Compose:
        """The config's test pipeline after its loading step (:meth:`load` decodes with its backend), or CLIP's."""
        from ..predict import inference_pipeline
        if self._own_pipeline:
            if self._image_size is not None:
                raise InputError(f'image_size={self._image_size}: the config\'s own test pipeline sets the size; '
                                 f'change it there (test_dataloader.dataset.pipeline)')
            steps, scope = inference_pipeline(cfg), cfg.get('default_scope', 'umgclip_mm')
        else:
            steps, scope = clip_test_pipeline(self._image_size or self.clip.backbone.img_size[0]), 'mmpretrain'
        pipeline, self._decode_backend = pipeline_after_loading(steps, scope)
        return pipeline

    def _init_collate(self, cfg):
        """``pseudo_collate`` (the model's data preprocessor stacks the batch)."""
        return pseudo_collate

    def _init_visualizer(self, cfg) -> None:
        return None  # drawings are OVDetLocalVisualizer's legend panels (see visualize)

    @property
    def vocab_encoder(self) -> nn.Module:
        """The classifier's :class:`VocabularyEncoder` (templates, cached class embeddings)."""
        return self.model.vocab_encoder

    def load(self, item) -> dict:
        """One input decoded as the pipeline's loading step would (:func:`load_image`)."""
        return load_image(item, self._channel_order, self._decode_backend)

    def _inputs_to_list(self, inputs: InputsType) -> list:
        """A folder becomes its image files (sorted; other files ignored), a single input a list of one."""
        return list_inputs(inputs)

    def preprocess(self, inputs: list, batch_size: int = 1, **kwargs):
        """Batches of ``batch_size`` preprocessed images (``{'inputs': [...], 'data_samples': [...]}``)."""
        chunks = self._get_chunk_data((self.pipeline(self.load(x)) for x in inputs), batch_size)
        yield from map(self.collate_fn, chunks)

    @torch.no_grad()
    def forward(self, inputs: dict, **kwargs) -> List[BaseDataElement]:
        """One batch through the classifier's ``test_step``: per image ``pred_score`` (softmax over the classes)
        and ``pred_label``, the class names in its metainfo."""
        samples = self.model.test_step(inputs)
        classes = list(self.model.test_vocab.names)
        for sample in samples:
            sample.set_metainfo(dict(classes=classes))
        return samples

    # ------------------------------------------------------------------ embeddings
    @torch.no_grad()
    def encode_image(self, inputs: InputsType, batch_size: int = 8) -> torch.Tensor:
        """L2-normalised image embeddings ``[N, D]`` (on the CPU) of one input or many (files, a folder, arrays, PIL
        images), in input order, through the pipeline and the classifier's data preprocessor."""
        out = []
        for data in self.preprocess(self._inputs_to_list(inputs), batch_size):
            out.append(self.clip.encode_image(self.model.data_preprocessor(data, False)['inputs']).float().cpu())
        return torch.cat(out)

    @torch.no_grad()
    def encode_text(self, texts: Union[str, Sequence[str]]) -> torch.Tensor:
        """L2-normalised text embeddings ``[N, D]`` (on the CPU) of one string or a list (no prompt template)."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        return self.clip.encode_text(texts).float().cpu()

    def class_embeds(self, vocab) -> torch.Tensor:
        """``[C, D]`` class embeddings of ``vocab`` (templates and synonyms averaged, cached per weights)."""
        from umgclip_mm.vocabulary import build_vocabulary
        with torch.no_grad():
            return self.vocab_encoder(self.clip, build_vocabulary(vocab))

    def class_names(self, vocab=None) -> List[str]:
        """The class names (first synonym of each entry) of ``vocab`` (default: the inferencer's)."""
        from umgclip_mm.vocabulary import build_vocabulary
        return list(build_vocabulary(self.vocab if vocab is None else vocab).names)

    def __call__(self,
                 inputs: InputsType,
                 vocab=None,
                 topk: int = 5,
                 batch_size: int = 1,
                 out_dir: str = '',
                 draw: bool = True,
                 no_save_pred: bool = False,
                 print_result: bool = False,
                 return_datasamples: bool = False,
                 show: bool = False) -> Dict[str, list]:
        """Classify images zero-shot.

        Args:
            inputs: An image file, a folder, an array, a PIL image, or a list of them.
            vocab (optional): The classes (default: the inferencer's ``vocab``).
            topk (int): Classes listed per image (at most the vocabulary's size).
            batch_size (int): Images per forward pass.
            out_dir (str): If set, ``out_dir/preds/<name>.json`` per image (unless ``no_save_pred``) and, with
                ``draw``, ``out_dir/vis/<name>.png``; ``<name>`` is a file's name without extension, an array's
                index (``00000000``, ...) over this inferencer's life.
            draw (bool): Draw the image with a panel of its top-k classes (returned under ``'visualization'``).
            no_save_pred (bool): Do not write the JSON files.
            print_result (bool): Print each image's prediction.
            return_datasamples (bool): Return the data samples instead of dicts.
            show (bool): Unsupported (no window on a server); refused.

        Returns:
            dict: ``predictions`` (a dict per image, see ``docs/inference.md``) and ``visualization`` (RGB arrays,
            or empty without ``draw``).
        """
        vocab = self.vocab if vocab is None else vocab
        if vocab is None:
            raise InputError('zero-shot classification needs a vocabulary: UMGCLIPInferencer(..., vocab=[...]) or '
                             'inferencer(images, vocab=["cat", "dog|puppy"])')
        self.model.set_vocabulary(vocab)
        img_out_dir = osp.join(out_dir, 'vis') if out_dir else ''
        pred_out_dir = osp.join(out_dir, 'preds') if out_dir and not no_save_pred else ''
        return super().__call__(inputs, return_datasamples=return_datasamples, batch_size=batch_size, topk=topk,
                                draw=draw, show=show, img_out_dir=img_out_dir, pred_out_dir=pred_out_dir,
                                print_result=print_result)

    def _names(self, inputs: list) -> List[str]:
        names = []
        for item in inputs:
            if isinstance(item, str):
                names.append(osp.splitext(osp.basename(item))[0])
            else:
                names.append(f'{self.num_drawn:08d}')
                self.num_drawn += 1
        return names

    @staticmethod
    def _top(sample, topk: int) -> List[dict]:
        scores, classes = sample.pred_score, sample.classes
        k = min(int(topk), len(classes))
        values, labels = scores.topk(k)
        return [dict(label=int(i), name=classes[int(i)], score=round(float(v), 6)) for v, i in zip(values, labels)]

    def visualize(self, inputs: list, preds: List[BaseDataElement], draw: bool = True, show: bool = False,
                  img_out_dir: str = '', **kwargs) -> List[np.ndarray]:
        """Per image, the image (RGB) with a panel of its top-5 classes and scores; written to
        ``img_out_dir/<name>.png`` when ``img_out_dir`` is set."""
        if show:
            raise InputError('show=True is not supported: give out_dir to write the drawings')
        names = self._names(inputs)
        for sample, name in zip(preds, names):
            sample.set_metainfo(dict(name=name))
        if not draw:
            return []
        import mmcv

        from umgclip_mm.visualization import OVDetLocalVisualizer
        panel = OVDetLocalVisualizer(name=f'umgclip_inferencer_{id(self)}')  # built directly: no global instance
        drawings = []
        for item, sample in zip(inputs, preds):
            palette = panel.class_palette(len(sample.classes))
            loaded = self.load(item)['img'][..., ::-1]
            rows = [(palette[t['label']], t['name'], f'{t["score"]:.3f}') for t in self._top(sample, 5)]
            canvas = panel.draw_legend(np.ascontiguousarray(loaded), rows, title='class: score')
            drawings.append(canvas)
            if img_out_dir:
                mmcv.imwrite(canvas[..., ::-1], osp.join(img_out_dir, sample.name + '.png'))  # makes the folder
        return drawings

    def postprocess(self, preds: List[BaseDataElement], visualization: List[np.ndarray],
                    return_datasamples: bool = False, topk: int = 5, pred_out_dir: str = '',
                    print_result: bool = False, **kwargs) -> Dict[str, list]:
        """JSON-ready dicts (and ``pred_out_dir/<name>.json`` files) of the predictions."""
        results = []
        for sample in preds:
            top = self._top(sample, topk)
            result = dict(image=sample.get('img_path') or sample.name, name=sample.name,
                          height=int(sample.ori_shape[0]), width=int(sample.ori_shape[1]),
                          pred_label=top[0]['label'], pred_class=top[0]['name'], pred_score=top[0]['score'],
                          topk=top)
            results.append(result)
            if print_result:
                print(json.dumps(result))
            if pred_out_dir:
                os.makedirs(pred_out_dir, exist_ok=True)
                with open(osp.join(pred_out_dir, sample.name + '.json'), 'w') as f:
                    json.dump(dict(result, classes=list(sample.classes)), f, indent=1)
        return dict(predictions=preds if return_datasamples else results, visualization=visualization)
