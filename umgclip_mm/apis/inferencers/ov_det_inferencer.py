"""OVDetInferencer: mmdet's DetInferencer for the open-vocabulary detectors and the panoptic model, the vocabulary
given at call time."""
from typing import Optional, Union

import numpy as np
from mmdet.apis import DetInferencer
from mmengine.config import Config

from umgclip_mm.visualization import OVDetLocalVisualizer

from ..exceptions import InputError
from .ov_inferencer_mixin import OVInferencerMixin
from .pred_to_json import detections_of, segments_of


class OVDetInferencer(OVInferencerMixin, DetInferencer):
    """mmdet's ``DetInferencer`` (same call, same ``out_dir`` layout) for open-vocabulary detection, instance and
    panoptic segmentation with any vocabulary: ``texts`` (and, panoptic, ``stuff_texts``) at call time set the
    classes predicted from then on.

    Examples:
        >>> inferencer = OVDetInferencer('configs/quickstart/detection_synthetic.py', 'iter_600.pth')
        >>> out = inferencer('photo.jpg', texts='cat|kitten,dog', pred_score_thr=0.3, out_dir='outputs/')
        >>> out['predictions'][0]['detections'][0]['name']

    Args:
        model (str | Config | dict): Config file or object of an ``OVTwoStageDetector`` or ``OVMask2Former``.
        weights (str, optional): Its checkpoint (weights-only, strict: :func:`~umgclip_mm.apis.init_model`).
        task (str): ``'detection'`` (``pred_instances``: boxes, and masks with a mask head) or ``'panoptic'``
            (``pred_panoptic_seg``, ``OVMask2Former`` only).
        device (str, optional): ``'cpu'``, ``'cuda'``, ...; ``None``: mmengine's choice.
        dtype (str): ``'fp32'``, ``'bf16'`` (autocast, CPU or CUDA) or ``'fp16'`` (CUDA).
        cfg_options (dict, optional): Overrides merged into the config (mmengine's dotted keys).
        scope (str): Registry scope.
        show_progress (bool): A progress bar over the batches (mmdet's).
    """

    def __init__(self, model: Union[str, Config, dict], weights: Optional[str] = None, task: str = 'detection',
                 device: Optional[str] = None, dtype: str = 'fp32', cfg_options: Optional[dict] = None,
                 scope: str = 'umgclip_mm', show_progress: bool = False) -> None:
        if task not in ('detection', 'panoptic'):
            raise InputError(f'OVDetInferencer: task {task!r}; use "detection" or "panoptic" (OVSegInferencer does '
                             f'semantic segmentation)')
        model = self._load_config(model, cfg_options)
        self.task, self.dtype = task, dtype
        super().__init__(model, weights=weights, device=device, scope=scope, show_progress=show_progress)

    def _init_visualizer(self, cfg: Config) -> OVDetLocalVisualizer:
        visualizer = OVDetLocalVisualizer(name=f'ov_det_inferencer_{id(self)}', alpha=0.8)
        self.visualizer = visualizer
        self._sync_visualizer()
        return visualizer

    def _sync_visualizer(self) -> None:
        vocab = self.model.test_vocab
        if self.task == 'panoptic':
            self.visualizer.set_vocabulary(vocab.names, vocab.thing_classes, vocab.stuff_classes)
        else:
            self.visualizer.set_vocabulary(vocab.names)

    def __call__(self, inputs, batch_size: int = 1, return_vis: bool = False, show: bool = False,
                 wait_time: float = 0, no_save_vis: bool = False, draw_pred: bool = True, pred_score_thr: float = 0.3,
                 return_datasamples: bool = False, print_result: bool = False, no_save_pred: bool = True,
                 out_dir: str = '', texts=None, stuff_texts=None, **kwargs) -> dict:
        """Predict, draw and write (mmdet's arguments; ``show`` and ``wait_time`` are refused: no window here).

        Returns:
            dict: ``predictions`` (per image the JSON fields of ``docs/inference.md``, or the data samples with
            ``return_datasamples``) and ``visualization`` (the drawings, RGB, with ``return_vis``).

        Raises:
            InputError, MissingFileError: Bad input (see :mod:`umgclip_mm.apis.exceptions`).
        """
        if show or kwargs:
            raise InputError(f'OVDetInferencer: {"show=True (no window: give out_dir)" if show else sorted(kwargs)} '
                             f'is not supported')
        if not 0 <= pred_score_thr <= 1:
            raise InputError(f'pred_score_thr {pred_score_thr}: give a score from 0 to 1')
        return self.run(inputs, texts, stuff_texts, batch_size=batch_size, return_vis=return_vis and draw_pred,
                        out_dir=out_dir, no_save_vis=no_save_vis or not draw_pred, no_save_pred=no_save_pred,
                        return_datasamples=return_datasamples, print_result=print_result,
                        pred_score_thr=pred_score_thr)

    def pred_fields(self, pred, pred_score_thr: float = 0.3) -> dict:
        """The task's JSON fields: ``score_thr`` and ``detections``, or ``segments``."""
        if self.task == 'panoptic':
            pan = pred.pred_panoptic_seg.sem_seg[0].cpu().numpy()
            num_things = self.model.test_vocab.num_things
            return dict(num_things=num_things, segments=segments_of(pan, self.classes, num_things))
        return dict(score_thr=pred_score_thr, detections=detections_of(pred.pred_instances, self.classes,
                                                                       pred_score_thr))

    def draw(self, image: np.ndarray, pred, pred_score_thr: float = 0.3) -> np.ndarray:
        """The drawing of a prediction (:meth:`OVDetLocalVisualizer.draw_prediction`)."""
        return self.visualizer.draw_prediction(image, pred, pred_score_thr)
