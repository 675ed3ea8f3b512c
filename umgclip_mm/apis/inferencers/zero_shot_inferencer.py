"""ZeroShotInferencer: zero-shot image classification with any vocabulary through a ZeroShotClassifier config,
its own registered test pipeline included."""
import os.path as osp
from typing import Optional, Union

import numpy as np
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.infer import BaseInferencer

from umgclip_mm.visualization import OVDetLocalVisualizer

from ..exceptions import InputError, TaskError
from ..inference import init_model, model_class
from ..predict import inference_pipeline
from .clip_inputs import load_image, pipeline_after_loading
from .ov_inferencer_mixin import OVInferencerMixin


class ZeroShotInferencer(OVInferencerMixin, BaseInferencer):
    """Zero-shot classification of whole images (mmengine's ``BaseInferencer``, with :class:`OVDetInferencer`'s call
    and ``out_dir`` layout): a :class:`~umgclip_mm.models.ZeroShotClassifier` at image level, its images prepared by
    the config's own test pipeline (what ``tools/test.py`` evaluates), the vocabulary (at least two classes) set
    with ``texts`` at call time. Per image the JSON holds every class ranked by probability (``scores``), the
    drawing the image with a panel of the top five.

    Args:
        model (str | Config | dict): Config file or object of a ``ZeroShotClassifier``.
        weights (str, optional): Its checkpoint (the UMG-CLIP towers, as pretraining writes them).
        device (str, optional): ``'cpu'``, ``'cuda'``, ...; ``None``: mmengine's choice.
        cfg_options (dict, optional): Overrides merged into the config (mmengine's dotted keys).
        scope (str): Registry scope.
    """

    task = 'zeroshot'

    def __init__(self, model: Union[str, Config, dict], weights: Optional[str] = None, device: Optional[str] = None,
                 cfg_options: Optional[dict] = None, scope: str = 'umgclip_mm') -> None:
        model = self._load_config(model, cfg_options)
        super().__init__(model, weights=weights, device=device, scope=scope, show_progress=False)

    def _init_model(self, cfg: Config, weights: Optional[str], device: str = 'cpu'):
        """:func:`init_model` of the classifier at image level (no boxes or masks are given)."""
        from umgclip_mm.models.classifiers.zero_shot_classifier import ZeroShotClassifier
        cls = model_class(cfg)
        if cls is None or not issubclass(cls, ZeroShotClassifier):
            raise TaskError(f'its model ({getattr(cls, "__name__", cfg.model.get("type"))}) is no zero-shot '
                            f'classifier; give an umgclip_mm.ZeroShotClassifier config (e.g. '
                            f'configs/quickstart/zeroshot_synthetic.py with the pretraining checkpoint '
                            f'work_dirs/quickstart/iter_600.pth)')
        cfg.model.levels = ('image', )
        if cfg.model.get('clip') is not None:
            cfg.model.clip.init_cfg = None  # every weight from the checkpoint
        return init_model(cfg, weights, device=device)

    def _init_pipeline(self, cfg: Config) -> Compose:
        """The config's test pipeline after its loading step (:meth:`preprocess` decodes with its backend), without
        annotation loading: what :class:`UMGCLIPInferencer` runs."""
        pipeline, self._decode_backend = pipeline_after_loading(inference_pipeline(cfg),
                                                                cfg.get('default_scope', 'umgclip_mm'))
        return pipeline

    def _init_visualizer(self, cfg: Config) -> OVDetLocalVisualizer:
        self.visualizer = OVDetLocalVisualizer(name=f'zero_shot_inferencer_{id(self)}')
        self._sync_visualizer()
        return self.visualizer

    def _sync_visualizer(self) -> None:
        self.visualizer.set_vocabulary(self.model.test_vocab.names)

    def preprocess(self, inputs: list, batch_size: int = 1, **kwargs):
        """Batches as :meth:`OVInferencerMixin.preprocess`; each image decoded as :class:`UMGCLIPInferencer` does
        (:func:`load_image`, the config's decoding backend)."""
        for start in range(0, len(inputs), batch_size):
            chunk, data = [], []
            for item in inputs[start:start + batch_size]:
                if isinstance(item, str):
                    name, path = osp.splitext(osp.basename(item))[0], item
                else:
                    rgb, name, path = self._image_and_name(item)  # checked, numbered
                    item = np.ascontiguousarray(rgb[..., ::-1])
                loaded = load_image(item, 'bgr', self._decode_backend)
                chunk.append((loaded['img'][..., ::-1], name, path))
                data.append(self.pipeline(loaded))
                if data[-1] is None:
                    raise InputError(f'image {path or name} was dropped by the config\'s test pipeline')
            yield chunk, pseudo_collate(data)

    def set_vocabulary(self, texts, stuff_texts=None) -> None:
        """Classify among ``texts`` from now on (at least two classes: the scores are a softmax over them)."""
        from ..inputs import vocabulary_entries
        vocabulary_entries(texts if isinstance(texts, str) else ','.join(texts or []), min_classes=2)
        super().set_vocabulary(texts, stuff_texts)

    def __call__(self, inputs, batch_size: int = 1, return_vis: bool = False, out_dir: str = '',
                 no_save_vis: bool = False, no_save_pred: bool = True, return_datasamples: bool = False,
                 print_result: bool = False, texts=None, **kwargs) -> dict:
        """Classify, draw and write, as :meth:`OVDetInferencer.__call__` (no score threshold)."""
        if kwargs:
            raise InputError(f'ZeroShotInferencer: {sorted(kwargs)} is not supported')
        return self.run(inputs, texts, batch_size=batch_size, return_vis=return_vis, out_dir=out_dir,
                        no_save_vis=no_save_vis, no_save_pred=no_save_pred, return_datasamples=return_datasamples,
                        print_result=print_result)

    def pred_fields(self, pred) -> dict:
        """``pred_class``, ``pred_score`` and ``scores``: every class, most probable first."""
        scores = pred.pred_score.float().cpu().numpy()
        order = np.argsort(-scores, kind='stable')
        ranked = [dict(name=self.classes[i], label=int(i), score=round(float(scores[i]), 6)) for i in order]
        return dict(pred_class=ranked[0]['name'], pred_score=ranked[0]['score'], scores=ranked)

    def draw(self, image: np.ndarray, pred) -> np.ndarray:
        """The image with a panel of its five most probable classes."""
        top = self.pred_fields(pred)['scores'][:5]
        palette = self.visualizer.class_palette(len(self.classes))
        rows = [(palette[s['label']], s['name'], f'{s["score"]:.2f}') for s in top]
        return self.visualizer.draw_legend(image, rows, title=f'top {len(top)}: probability')
