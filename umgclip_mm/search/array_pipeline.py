"""The test pipeline of a detector config, for images given as arrays (what the proposers of a search index see)."""
from mmengine.dataset import Compose


def array_test_pipeline(cfg) -> Compose:
    """The test pipeline of an mmdet model config with its image loader swapped for mmdet's
    ``LoadImageFromNDArray`` and its annotation loading (``LoadAnnotations``, ``LoadPanopticAnnotations``) dropped,
    as ``mmdet.apis.inference_detector`` builds it for arrays.

    Args:
        cfg (Config): The model's config (``model.cfg`` as ``init_model`` sets it).

    Returns:
        Compose: Takes ``dict(img=BGR array, img_id=0)``; built in mmdet's scope.
    """
    from mmdet.utils import get_test_pipeline_cfg
    from mmengine.registry import DefaultScope
    steps = []
    for step in get_test_pipeline_cfg(cfg):
        kind = str(step['type']).split('.')[-1]
        if kind == 'LoadImageFromFile':
            step = dict(step, type='mmdet.LoadImageFromNDArray')
        elif kind.startswith('Load') and kind.endswith('Annotations'):
            continue
        steps.append(step)
    with DefaultScope.overwrite_default_scope('mmdet'):
        return Compose(steps)
