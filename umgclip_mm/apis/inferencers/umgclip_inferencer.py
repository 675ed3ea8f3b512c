"""UMGCLIPInferencer: the UMG-CLIP towers on files, folders, arrays and lists of them (mmengine's ``BaseInferencer``):
image and text embeddings with CLIP's preprocessing inside, zero-shot classification with drawings and JSON, and
phrase grounding (a phrase's best boxes and masks in one image, from the embeddings a search index holds)."""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.dataset import pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.structures import BaseDataElement

from ..exceptions import InputError
from ..inputs import IMAGE_EXTENSIONS
from .clip_preprocess import CLIPPreprocess, InputsType


class UMGCLIPInferencer(BaseInferencer):
    """The UMG-CLIP towers as an mm-style inferencer (mmengine's ``BaseInferencer``, like mmdet's ``DetInferencer``
    and mmpretrain's ``ImageClassificationInferencer``): inputs are image files, folders (their image files, sorted),
    numpy arrays, PIL images, or lists of them.

    - :meth:`encode_image` / :meth:`encode_text`: L2-normalised embeddings in the joint space. CLIP's preprocessing
      is applied inside (:class:`CLIPPreprocess`: shorter side to the tower's size with PIL's bicubic filter, centre
      crop, CLIP's mean/std, RGB), so an image file gives what ``transformers``' ``CLIPImageProcessor`` and
      ``CLIPModel.get_image_features`` give for the same weights (normalised).
    - Calling the inferencer classifies the images zero-shot against a vocabulary (class names, ``"a|b"`` for
      synonyms; each class is the normalised mean of its prompt-template embeddings, from the shared
      :class:`VocabularyEncoder`): per image the top-k classes and softmax scores at the tower's temperature
      (``logit_scale``), as dicts, JSON files (``out_dir/preds/<name>.json``) and drawings (the image with a
      panel of the top-k, ``out_dir/vis/<name>.png``). ``docs/inference.md`` has the JSON schema.
    - :meth:`ground`: a free-form phrase's best regions (given boxes, or sliding windows) and masks in one image,
      with scores, as the JSON fields of a search hit, and their drawing.

    Args:
        model (str | Config | dict | nn.Module): A config file or object whose ``model`` is a :class:`UMGCLIP`, or a
            model holding one as ``clip`` (``ZeroShotClassifier``, a task model); a :class:`UMGCLIP` config itself
            (e.g. what ``umgclip_mm.converters.convert_clip`` returns); or a built model.
        weights (str, optional): Checkpoint of that model (loaded weights-only and strictly, as
            :func:`~umgclip_mm.apis.init_model`); ``None`` keeps the config's initialisation.
        device (str, optional): ``'cpu'``, ``'cuda'``, ...; ``None``: mmengine's choice (CUDA if available).
        vocab (optional): Default vocabulary of :meth:`__call__`: class names, a file with one per line, or any spec
            of :func:`~umgclip_mm.vocabulary.build_vocabulary`.
        templates (optional): Prompt templates (each with one ``{}``) or ``'openai_imagenet'`` (CLIP's 80); default:
            the model's own ``vocab_encoder``'s if it has one, else :data:`~umgclip_mm.vocabulary.DEFAULT_TEMPLATES`.
        image_size (int, optional): Side of the square the tower sees; default the tower's ``img_size``.
        channel_order (str): Channel order of array inputs: ``'bgr'`` (mmcv / cv2, default) or ``'rgb'``.
        scope (str): Registry scope the config is built in.
        show_progress (bool): A progress bar over the batches of :meth:`__call__`.
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = {'vocab'}
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
        self._image_size, self._channel_order = image_size, channel_order
        if isinstance(model, nn.Module):
            if weights is not None:
                from ..inference import load_model_weights
                load_model_weights(model, weights)
            self.scope = scope
            self.cfg = getattr(model, 'cfg', None) or ConfigDict()
            self.model = model.to(device or next(model.parameters()).device).eval()
            self.pipeline = self._init_pipeline(self.cfg)
            self.collate_fn = pseudo_collate
            self.visualizer = None
            self.show_progress = show_progress
        else:
            if isinstance(model, dict) and not isinstance(model, Config) and 'type' in model and 'model' not in model:
                model = dict(model=model)  # a UMGCLIP config itself
            super().__init__(model, weights=weights, device=device, scope=scope, show_progress=show_progress)
        self.vocab = vocab
        self.vocab_encoder = self._init_vocab_encoder(templates)
        self.num_drawn = 0

    # ------------------------------------------------------------------ mmengine's hooks
    def _init_model(self, cfg: Config, weights: Optional[str], device: str = 'cpu') -> nn.Module:
        """Our :func:`init_model`: weights-only, strict, the missing and unexpected keys listed."""
        from ..inference import init_model
        model = init_model(cfg, weights, device=device)
        self._clip_of(model, cfg)
        return model

    @staticmethod
    def _clip_of(model: nn.Module, cfg=None) -> nn.Module:
        from umgclip_mm.models import UMGCLIP
        if isinstance(model, UMGCLIP):
            return model
        if isinstance(getattr(model, 'clip', None), UMGCLIP):
            return model.clip
        where = f' of {cfg.filename}' if getattr(cfg, 'filename', None) else ''
        raise TypeError(f'the model{where} ({type(model).__name__}) is neither a umgclip_mm.UMGCLIP nor holds one as '
                        f'`clip`: give a pretraining or zero-shot config (e.g. '
                        f'configs/quickstart/pretrain_synthetic.py) or the model config '
                        f'tools/model_converters/clip2umgclip.py --save-config writes')

    @property
    def clip(self) -> nn.Module:
        """The :class:`UMGCLIP` (image and text towers) the inferencer runs."""
        return self._clip_of(self.model, self.cfg)

    def _init_pipeline(self, cfg) -> CLIPPreprocess:
        tower = self._clip_of(self.model, cfg).backbone
        return CLIPPreprocess(self._image_size or tower.img_size[0], self._channel_order)

    def _init_collate(self, cfg):
        """``pseudo_collate``: the inputs are :class:`CLIPPreprocess`' outputs, whatever the config's test loader
        collates (a pretraining config's is a dict, which mmengine's ``BaseInferencer`` cannot take)."""
        return pseudo_collate

    def _init_visualizer(self, cfg) -> None:
        return None  # drawings are OVDetLocalVisualizer's legend panels (see visualize)

    def _init_vocab_encoder(self, templates) -> nn.Module:
        from umgclip_mm.registry import MODELS
        from umgclip_mm.vocabulary.imagenet_templates import resolve_templates
        own = getattr(self.model, 'vocab_encoder', None)
        if templates is None and own is not None:
            return own
        cfg = dict(type='umgclip_mm.VocabularyEncoder')
        if templates is not None:
            cfg['templates'] = resolve_templates(templates)
        return MODELS.build(cfg)

    def _inputs_to_list(self, inputs: InputsType) -> list:
        """A folder becomes its image files (sorted; other files ignored), a single input a list of one."""
        if isinstance(inputs, str) and osp.isdir(inputs):
            files = sorted(f for f in os.listdir(inputs) if f.lower().endswith(IMAGE_EXTENSIONS))
            if not files:
                raise InputError(f'folder {inputs} has no image file ({", ".join(IMAGE_EXTENSIONS)})')
            return [osp.join(inputs, f) for f in files]
        if isinstance(inputs, (list, tuple)):
            out = []
            for item in inputs:
                out += self._inputs_to_list(item) if isinstance(item, str) and osp.isdir(item) else [item]
            return out
        return [inputs]

    def preprocess(self, inputs: list, batch_size: int = 1, **kwargs):
        """Batches of ``batch_size`` preprocessed images (``{'inputs': [...], 'data_samples': [...]}``)."""
        chunks = self._get_chunk_data(map(self.pipeline, inputs), batch_size)
        yield from map(self.collate_fn, chunks)

    @torch.no_grad()
    def _embed(self, data: dict) -> torch.Tensor:
        clip = self.clip
        batch = clip.data_preprocessor(data, False)
        return clip.encode_image(batch['inputs'])

    @torch.no_grad()
    def forward(self, inputs: dict, vocab=None, **kwargs) -> List[BaseDataElement]:
        """One batch: per image a data sample with ``img_embed`` ``[D]``, and with a vocabulary ``pred_score``
        (softmax over the classes ``[C]``) and ``pred_label``."""
        embeds = self._embed(inputs)
        samples = inputs['data_samples']
        vocab = self.vocab if vocab is None else vocab
        scores = None
        classes = None
        if vocab is not None:
            classes = self.class_names(vocab)
            class_embeds = self.class_embeds(vocab)
            scores = (self.clip.get_logit_scale() * embeds @ class_embeds.t().to(embeds)).softmax(-1)
        out = []
        for i, sample in enumerate(samples):
            sample = sample.clone() if sample is not None else BaseDataElement()
            sample.set_field(embeds[i].float().cpu(), 'img_embed')
            if scores is not None:
                sample.set_metainfo(dict(classes=classes))
                sample.set_field(scores[i].float().cpu(), 'pred_score')
                sample.set_field(scores[i].argmax(-1, keepdim=True).cpu(), 'pred_label')
            out.append(sample)
        return out

    # ------------------------------------------------------------------ embeddings
    def encode_image(self, inputs: InputsType, batch_size: int = 8) -> torch.Tensor:
        """L2-normalised image embeddings ``[N, D]`` (on the CPU) of one input or many (files, a folder, arrays, PIL
        images), in input order, with CLIP's preprocessing."""
        items = self._inputs_to_list(inputs)
        return torch.cat([self._embed(data).float().cpu() for data in self.preprocess(items, batch_size)])

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

    # ------------------------------------------------------------------ phrase grounding
    def region_embedder(self):
        """The :class:`~umgclip_mm.search.RegionEmbedder` over this inferencer's tower: the embeddings search indexes
        are built from (the image resized whole to the tower's square, boxes scaled with it, masks pooled)."""
        if getattr(self, '_region_embedder', None) is None:
            from umgclip_mm.search import RegionEmbedder
            self._region_embedder = RegionEmbedder(self.clip, img_size=self._image_size)
        return self._region_embedder

    @staticmethod
    def _grounding_masks(masks, height: int, width: int) -> List[dict]:
        """``masks`` (``None``, bitmaps ``[M, H, W]`` or COCO RLEs) as JSON-able RLEs of the image's size."""
        from umgclip_mm.search.region_embedder import encode_rles
        if masks is None:
            return []
        if isinstance(masks, np.ndarray) or isinstance(masks, torch.Tensor):
            masks = np.asarray(masks)
            if masks.ndim != 3 or masks.shape[1:] != (height, width):
                raise InputError(f'ground: masks must be [M, {height}, {width}] bitmaps (the image\'s size), got '
                                 f'shape {tuple(masks.shape)}')
            return encode_rles(masks)
        rles = []
        for j, rle in enumerate(masks):
            if not isinstance(rle, dict) or 'counts' not in rle or list(rle.get('size', ())) != [height, width]:
                raise InputError(f'ground: masks[{j}] is not a COCO RLE of the image\'s size [{height}, {width}] '
                                 f'(a dict with "size" and "counts"); give RLEs or [M, H, W] bitmaps')
            counts = rle['counts']
            rles.append(dict(size=[height, width], counts=counts.decode() if isinstance(counts, bytes) else counts))
        return rles

    def ground(self,
               image,
               phrase: str,
               boxes=None,
               masks=None,
               topk: int = 5,
               level: str = 'all',
               return_vis: bool = False,
               out_dir: Optional[str] = None) -> Dict[str, list]:
        """Phrase grounding in one image: its candidate regions (boxes) and masks ranked by the cosine of their
        embeddings with the phrase's, from one forward pass of the tower (:func:`umgclip_mm.search.ground_phrase`:
        the embeddings a search index holds, ``docs/search.md``).

        Args:
            image: An image file, an array (in the inferencer's ``channel_order``) or a PIL image.
            phrase (str): Free-form text (``"the red mug on the left shelf"``).
            boxes (optional): Candidate boxes ``[K, 4]`` ``x1, y1, x2, y2`` in the image's pixels. With neither
                ``boxes`` nor ``masks``: sliding windows (:func:`umgclip_mm.search.grid_proposals`).
            masks (optional): Candidate masks, ``[M, H, W]`` bitmaps or COCO RLEs of the image's size.
            topk (int): How many of the best candidates to return.
            level (str): Which candidates compete: ``'region'`` (boxes), ``'mask'`` or ``'all'``.
            return_vis (bool): Also return the drawing (RGB): the image with the ``topk`` boxes (and masks) drawn
                best on top, tagged with rank and score, and a legend panel of ``level index: score``.
            out_dir (str, optional): Write ``out_dir/preds/<name>.json`` and ``out_dir/vis/<name>.png``.

        Returns:
            dict: ``predictions``: one dict (``image``, ``name``, ``phrase``, ``height``, ``width``,
            ``proposals`` (``'given'`` or ``'grid'``), ``num_regions``, ``num_masks`` and ``hits``: per hit the
            fields of :meth:`umgclip_mm.search.SearchHit.to_dict` (``score``, ``level``, ``key``: the image,
            ``image_id``: 0, ``item``: the index into the boxes or masks, ``box``, ``mask`` for mask hits), best
            first); ``visualization``: ``[drawing]`` with ``return_vis`` or ``out_dir``, else ``[]``.

        Raises:
            InputError: An empty phrase, an unknown level, ``topk`` under 1, boxes or masks of the wrong shape, or
                no candidate left at ``level``.
        """
        from umgclip_mm.search import SearchHit, grid_proposals, ground_phrase
        if not isinstance(phrase, str) or not phrase.strip():
            raise InputError('ground needs a phrase: a non-empty string such as "a red star"')
        if level not in ('region', 'mask', 'all'):
            raise InputError(f"ground: level must be 'region', 'mask' or 'all', got {level!r}")
        if int(topk) < 1:
            raise InputError(f'ground: topk must be at least 1, got {topk}')
        loaded = self.pipeline.load(image)
        img = loaded['img']
        h, w = img.shape[:2]
        proposals = 'given'
        if boxes is None and masks is None:
            boxes, proposals = grid_proposals(h, w), 'grid'
        boxes = np.zeros((0, 4), np.float32) if boxes is None else np.asarray(boxes, np.float32)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise InputError(f'ground: boxes must be [K, 4] x1, y1, x2, y2, got shape {tuple(boxes.shape)}')
        rles = self._grounding_masks(masks, h, w)
        if level == 'mask':
            boxes = boxes[:0]
        elif level == 'region':
            rles = []
        if not len(boxes) and not rles:
            raise InputError(f'ground: no candidate {"box or mask" if level == "all" else level} to rank: give '
                             'boxes or masks, or neither (sliding windows)')
        name = self._names([image])[0]
        key = loaded['img_path'] or name
        ranked = ground_phrase(self.region_embedder(), img, phrase, boxes, rles, int(topk))
        hits = [SearchHit(r['score'], r['level'], key, 0, r['index'], r['box'], r.get('mask')).to_dict()
                for r in ranked]
        pred = dict(image=key, name=name, phrase=phrase, height=h, width=w, proposals=proposals,
                    num_regions=len(boxes), num_masks=len(rles), hits=hits)
        drawings = []
        if return_vis or out_dir:
            drawings.append(self.draw_grounding(img[..., ::-1], phrase, hits))
        if out_dir:
            import mmcv
            mmcv.imwrite(drawings[0][..., ::-1], osp.join(out_dir, 'vis', name + '.png'))  # makes the folder
            os.makedirs(osp.join(out_dir, 'preds'), exist_ok=True)
            with open(osp.join(out_dir, 'preds', name + '.json'), 'w') as f:
                json.dump(pred, f, indent=1)
        return dict(predictions=[pred], visualization=drawings)

    def draw_grounding(self, image: np.ndarray, phrase: str, hits: Sequence[dict]) -> np.ndarray:
        """``image`` (RGB) with the grounding ``hits`` (best first, :meth:`ground`'s) drawn by
        :class:`OVDetLocalVisualizer`: a colour per rank, boxes and masks with a ``#rank score`` tag, the best on
        top, and a legend panel ``#rank level index: score`` under the phrase."""
        from umgclip_mm.search.region_embedder import decode_rles
        from umgclip_mm.visualization import OVDetLocalVisualizer
        vis = OVDetLocalVisualizer(name=f'umgclip_grounding_{id(self)}')  # built directly: no global instance
        image = np.ascontiguousarray(image)
        colours = vis.class_palette(len(hits))
        order = list(range(len(hits)))[::-1]  # the best drawn last, on top
        masks = None
        if any('mask' in hits[i] for i in order):
            blank = np.zeros(image.shape[:2], bool)
            masks = np.stack([decode_rles([hits[i]['mask']])[0].astype(bool) if 'mask' in hits[i] else blank
                              for i in order])
        drawn = vis.draw_tagged_boxes(image, np.array([hits[i]['box'] for i in order]).reshape(-1, 4),
                                      [f'#{i + 1} {hits[i]["score"]:.2f}' for i in order],
                                      [colours[i] for i in order], masks)
        rows = [(colours[i], f'#{i + 1} {h["level"]} {h["item"]}', f'{h["score"]:.3f}') for i, h in enumerate(hits)]
        title = phrase if len(phrase) <= 40 else phrase[:37] + '...'
        return vis.draw_legend(drawn, rows, title=f'"{title}": cosine')

    # ------------------------------------------------------------------ zero-shot classification
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
        img_out_dir = osp.join(out_dir, 'vis') if out_dir else ''
        pred_out_dir = osp.join(out_dir, 'preds') if out_dir and not no_save_pred else ''
        return super().__call__(inputs, return_datasamples=return_datasamples, batch_size=batch_size, vocab=vocab,
                                topk=topk, draw=draw, show=show, img_out_dir=img_out_dir, pred_out_dir=pred_out_dir,
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
            loaded = self.pipeline.load(item)['img'][..., ::-1]
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
