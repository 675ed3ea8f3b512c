"""OVSegInferencer: mmseg's MMSegInferencer for open-vocabulary semantic segmentation, the vocabulary given at call
time."""
from typing import Optional, Union

import numpy as np
from mmengine.config import Config
from mmseg.apis import MMSegInferencer

from umgclip_mm.visualization import OVSegLocalVisualizer

from ..exceptions import InputError
from .ov_inferencer_mixin import OVInferencerMixin
from .pred_to_json import class_shares


class OVSegInferencer(OVInferencerMixin, MMSegInferencer):
    """mmseg's ``MMSegInferencer`` for open-vocabulary semantic segmentation with any vocabulary (at least two
    classes: every pixel takes one), with mmdet's call and ``out_dir`` layout (``vis/``, ``preds/``) as
    :class:`OVDetInferencer`: ``texts`` at call time set the classes predicted from then on.

    Models: the trained ``OVEncoderDecoder``, the training-free ``ZeroShotSegmentor`` and ``OVMask2Former`` (its
    semantic output).

    Args:
        model (str | Config | dict): Config file or object.
        weights (str, optional): Its checkpoint (weights-only, strict: :func:`~umgclip_mm.apis.init_model`).
        device (str, optional): ``'cpu'``, ``'cuda'``, ...; ``None``: mmengine's choice.
        dtype (str): ``'fp32'``, ``'bf16'`` (autocast, CPU or CUDA) or ``'fp16'`` (CUDA).
        opacity (float): Opacity of the class colours in the drawings.
        cfg_options (dict, optional): Overrides merged into the config (mmengine's dotted keys).
        scope (str): Registry scope.
    """

    task = 'semseg'

    def __init__(self, model: Union[str, Config, dict], weights: Optional[str] = None, device: Optional[str] = None,
                 dtype: str = 'fp32', opacity: float = 0.5, cfg_options: Optional[dict] = None,
                 scope: str = 'umgclip_mm') -> None:
        if not 0 <= opacity <= 1:
            raise InputError(f'opacity {opacity}: give a value from 0 (image only) to 1 (colours only)')
        model = self._load_config(model, cfg_options)
        self.dtype, self.opacity = dtype, opacity
        super().__init__(model, weights=weights, device=device, scope=scope)
        self._sync_visualizer()  # mmseg's __init__ gave the visualizer its default (Cityscapes) classes

    def _init_visualizer(self, cfg: Config) -> OVSegLocalVisualizer:
        visualizer = OVSegLocalVisualizer(name=f'ov_seg_inferencer_{id(self)}', alpha=self.opacity)
        self.visualizer = visualizer
        self._sync_visualizer()
        return visualizer

    def _sync_visualizer(self) -> None:
        self.visualizer.set_vocabulary(self.model.test_vocab.names)

    def set_vocabulary(self, texts, stuff_texts=None) -> None:
        """Predict ``texts`` (and ``stuff_texts``, appended) from now on; at least two classes.

        Raises:
            InputError: Fewer than two classes, or a class given twice.
        """
        from ..inputs import vocabulary_entries
        joined = ','.join(t if isinstance(t, str) else ','.join(t) for t in (texts, stuff_texts) if t)
        vocabulary_entries(joined, min_classes=2)
        super().set_vocabulary(texts, stuff_texts)

    def __call__(self, inputs, batch_size: int = 1, return_vis: bool = False, out_dir: str = '',
                 no_save_vis: bool = False, no_save_pred: bool = True, return_datasamples: bool = False,
                 print_result: bool = False, texts=None, stuff_texts=None, **kwargs) -> dict:
        """Predict, draw and write, as :meth:`OVDetInferencer.__call__` (no score threshold).

        Raises:
            InputError, MissingFileError: Bad input (see :mod:`umgclip_mm.apis.exceptions`).
        """
        if kwargs:
            raise InputError(f'OVSegInferencer: {sorted(kwargs)} is not supported')
        return self.run(inputs, texts, stuff_texts, batch_size=batch_size, return_vis=return_vis, out_dir=out_dir,
                        no_save_vis=no_save_vis, no_save_pred=no_save_pred, return_datasamples=return_datasamples,
                        print_result=print_result)

    def pred_fields(self, pred) -> dict:
        """The task's JSON field: ``present`` (per class present: name, label, pixels, fraction)."""
        labels = pred.pred_sem_seg.data[0].cpu().numpy()
        return dict(present=class_shares(labels, self.classes))

    def draw(self, image: np.ndarray, pred) -> np.ndarray:
        """The drawing of a prediction (:meth:`OVSegLocalVisualizer.draw_prediction`)."""
        return self.visualizer.draw_prediction(image, pred)
