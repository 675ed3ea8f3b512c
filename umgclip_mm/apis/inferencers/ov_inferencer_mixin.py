"""OVInferencerMixin: what :class:`OVDetInferencer` and :class:`OVSegInferencer` share over mmdet's and mmseg's
inferencers: the model through :func:`~umgclip_mm.apis.init_model` (set up for the task), the config's own test
pipeline reading files or arrays, the vocabulary set at call time, the visualizer built directly, and mmdet's
``__call__`` with the outputs ``out_dir/vis/<name>.png`` and ``out_dir/preds/<name>.json``."""
import json
import os
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope

from ..exceptions import InputError, MissingFileError
from ..inference import init_model, load_config
from ..inputs import IMAGE_EXTENSIONS, read_image, vocabulary_entries
from ..predict import autocast_context, inference_pipeline, to_float32

InputType = Union[str, np.ndarray]


class OVInferencerMixin:
    """Mixed into an mmdet / mmseg inferencer (before it, so that these methods win).

    Inputs are image files, folders (their image files, sorted), ``uint8`` ``[H, W, 3]`` arrays in BGR (mmcv's order,
    as mmdet's inferencer takes them), or lists of them. A call with ``texts`` (class entries, ``"name|synonym"``;
    a list, or one comma-separated string) predicts that vocabulary from then on (``stuff_texts``: the panoptic
    stuff classes, after the things). Results: ``predictions`` (a dict per image, ``docs/inference.md``) and
    ``visualization`` (with ``return_vis``: the drawings, RGB, what :meth:`visualize` writes).
    """

    task: str = ''
    dtype: str = 'fp32'

    # -- mmengine's BaseInferencer hooks --------------------------------------------------------------------------
    @staticmethod
    def _load_config(model, cfg_options: Optional[dict] = None) -> Config:
        """The config (a file, a ``Config`` or a dict) with ``cfg_options`` merged (:func:`load_config`)."""
        return load_config(model, cfg_options)

    def _init_model(self, cfg: Config, weights: Optional[str], device: str = 'cpu') -> torch.nn.Module:
        """:func:`init_model` (weights-only, strict, set up for :attr:`task`)."""
        return init_model(cfg, weights, task=self.task, device=device)

    def _init_pipeline(self, cfg: Config) -> Compose:
        """The config's test pipeline without annotation loading, its image loading replaced by mmdet's
        ``InferencerLoader`` (which reads the arrays :meth:`preprocess` decodes)."""
        pipeline = inference_pipeline(cfg)
        first = pipeline[0]
        if not str(first.get('type', '')).endswith('LoadImageFromFile'):
            raise InputError(f'the test pipeline of the config starts with {first.get("type")}, not '
                             f'LoadImageFromFile: the inferencer reads images through it')
        options = {k: v for k, v in first.items() if k not in ('type', '_scope_')}
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'umgclip_mm')):
            return Compose([dict(type='mmdet.InferencerLoader', **options)] + pipeline[1:])

    def _init_collate(self, cfg: Config):
        """mmengine's ``pseudo_collate`` (the model's data preprocessor stacks the batch)."""
        return pseudo_collate

    def _inputs_to_list(self, inputs) -> list:
        """A folder becomes its image files (sorted, not recursing), a single input a list of one."""
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        out = []
        for item in items:
            if isinstance(item, str) and osp.isdir(item):
                found = sorted(f for f in os.listdir(item) if f.lower().endswith(IMAGE_EXTENSIONS))
                if not found:
                    raise InputError(f'folder {item} has no image file ({", ".join(IMAGE_EXTENSIONS)})')
                out += [osp.join(item, f) for f in found]
            elif isinstance(item, str) and not osp.isfile(item):
                raise MissingFileError(f'image {item} does not exist: give an image file, a folder or an array')
            else:
                out.append(item)
        return out

    def preprocess(self, inputs: list, batch_size: int = 1, **kwargs) -> Iterator[Tuple[list, dict]]:
        """Batches of ``(per input (RGB image, output name, path or None), the collated pipeline outputs)``; each
        file is decoded once (:func:`read_image`: a clear error for what does not decode) and given to the pipeline
        as an array."""
        for start in range(0, len(inputs), batch_size):
            chunk = [self._image_and_name(x) for x in inputs[start:start + batch_size]]
            yield chunk, pseudo_collate([self.pipeline(np.ascontiguousarray(rgb[..., ::-1])) for rgb, _, _ in chunk])

    @torch.no_grad()
    def forward(self, inputs: dict, **kwargs) -> list:
        """The model's ``test_step`` (under autocast for ``dtype`` ``'bf16'`` / ``'fp16'``), tensors in fp32."""
        device = next(self.model.parameters()).device
        with autocast_context(device, self.dtype):
            return [to_float32(s) for s in self.model.test_step(inputs)]

    # -- vocabulary -----------------------------------------------------------------------------------------------
    def set_vocabulary(self, texts, stuff_texts=None) -> None:
        """Predict ``texts`` (class entries; panoptic: the things) and ``stuff_texts`` from now on.

        Raises:
            InputError: An empty vocabulary or a class given twice.
        """
        def entries(t):
            return vocabulary_entries(t if isinstance(t, str) else ','.join(t)) if t else []

        things, stuff = entries(texts), entries(stuff_texts)
        if self.task == 'panoptic':
            vocabulary_entries(','.join(things + stuff))  # no class twice across the two
            self.model.set_vocabulary(dict(thing_classes=things, stuff_classes=stuff))
        else:
            self.model.set_vocabulary(things + stuff)
        self._sync_visualizer()

    @property
    def classes(self) -> List[str]:
        """The class names the model predicts (its test vocabulary)."""
        return list(self.model.test_vocab.names)

    # -- outputs --------------------------------------------------------------------------------------------------
    def _image_and_name(self, item: InputType) -> Tuple[np.ndarray, str, Optional[str]]:
        """``(RGB image, output name, path or None)``: a file's name without extension, else a running number.

        Raises:
            InputError: An array that is no ``uint8`` ``[H, W, 3]`` image; for files see :func:`read_image`.
        """
        if isinstance(item, str):
            return read_image(item), osp.splitext(osp.basename(item))[0], item
        img = np.asarray(item)
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise InputError(f'an array input must be uint8 [H, W, 3] (BGR), got {img.dtype} {tuple(img.shape)}')
        self._num_arrays = getattr(self, '_num_arrays', 0) + 1
        return np.ascontiguousarray(img[..., ::-1]), f'{self._num_arrays - 1:08d}', None

    def head_fields(self, path: Optional[str], shape: Sequence[int]) -> dict:
        """The fields every JSON starts with: the image, its size, the task, the model, whether its
        ensemble is on, the dtype and the classes."""
        return dict(image=path, height=int(shape[0]), width=int(shape[1]), task=self.task,
                    model=type(self.model).__name__, ensemble=getattr(self.model, 'ensemble', None) is not None,
                    dtype=self.dtype, classes=self.classes)

    def run(self, inputs, texts=None, stuff_texts=None, batch_size: int = 1, return_vis: bool = False,
            out_dir: str = '', no_save_vis: bool = False, no_save_pred: bool = True,
            return_datasamples: bool = False, print_result: bool = False, **draw_kwargs) -> Dict[str, list]:
        """The inference loop of mmdet's ``DetInferencer.__call__`` (batches, drawings and JSON files per batch)."""
        if texts is not None or stuff_texts is not None:
            self.set_vocabulary(texts, stuff_texts)
        items = self._inputs_to_list(inputs)
        results = dict(predictions=[], visualization=[])
        for chunk, data in self.preprocess(items, batch_size):
            preds = self.forward(data)
            for (image, name, path), pred in zip(chunk, preds):
                fields = dict(self.head_fields(path, image.shape), **self.pred_fields(pred, **draw_kwargs))
                if out_dir and not no_save_pred:
                    os.makedirs(osp.join(out_dir, 'preds'), exist_ok=True)
                    with open(osp.join(out_dir, 'preds', name + '.json'), 'w') as f:
                        json.dump(fields, f, indent=1)
                if print_result:
                    print(json.dumps(fields))
                if return_vis or (out_dir and not no_save_vis):
                    drawn = self.draw(image, pred, **draw_kwargs)
                    if out_dir and not no_save_vis:
                        import mmcv
                        mmcv.imwrite(drawn[..., ::-1], osp.join(out_dir, 'vis', name + '.png'))  # mmcv writes BGR
                    if return_vis:
                        results['visualization'].append(drawn)
                results['predictions'].append(pred if return_datasamples else fields)
        return results

    def visualize(self, inputs: list, preds: list, **kwargs) -> List[np.ndarray]:
        """The drawings of ``preds`` over ``inputs`` (mmengine's hook; :meth:`run` draws as it goes)."""
        return [self.draw(self._image_and_name(x)[0], p, **kwargs) for x, p in zip(inputs, preds)]

    def postprocess(self, preds: list, visualization=None, return_datasamples: bool = False, **kwargs) -> dict:
        """mmengine's hook: the predictions (their task fields, or the data samples) and the drawings."""
        return dict(predictions=preds if return_datasamples else [self.pred_fields(p, **kwargs) for p in preds],
                    visualization=visualization)

