"""OVCocoPanopticMetric: COCO panoptic quality, also over the classes seen and unseen in training."""
from typing import Dict, Sequence, Union

from mmdet.evaluation.metrics import CocoPanopticMetric
from mmdet.evaluation.metrics.coco_panoptic_metric import PQStat
from mmengine.logging import MMLogger

from umgclip_mm.vocabulary import name_key, read_class_file
from umgclip_mm.registry import METRICS


@METRICS.register_module()
class OVCocoPanopticMetric(CocoPanopticMetric):
    """mmdet's ``CocoPanopticMetric`` (PQ, SQ, RQ over all classes, things and stuff) plus the same three over the
    classes unseen in training and over the others, reported as ``PQ_seen`` ... ``RQ_unseen``.

    Args:
        unseen_classes (Sequence[str] | str): Names of the unseen classes (as in the annotation file), or a file
            with one per line.
        **kwargs: What ``mmdet.CocoPanopticMetric`` takes (``ann_file``, ``seg_prefix``, ...). The split needs
            the per-batch statistics mmdet keeps when ``outfile_prefix`` is not set.
    """

    def __init__(self, unseen_classes: Union[Sequence[str], str] = (), **kwargs):
        super().__init__(**kwargs)
        if isinstance(unseen_classes, str):
            unseen_classes = read_class_file(unseen_classes)
        self.unseen_classes = {name_key(c) for c in unseen_classes}

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """mmdet's, on a copy of each panoptic prediction: mmdet writes void (``0``) into the prediction in place,
        which on CPU is the model's own tensor, so the visualization hook that runs after the metric painted void as
        class 0."""
        data_samples = [dict(s, pred_panoptic_seg=dict(s['pred_panoptic_seg'],
                                                         sem_seg=s['pred_panoptic_seg']['sem_seg'].clone()))
                        if 'pred_panoptic_seg' in s else s for s in data_samples]
        super().process(data_batch, data_samples)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        metrics = super().compute_metrics(results)
        if self.tmp_dir is None or self.format_only:  # results are (gt, pred) files, not statistics
            return metrics
        pq_stat = PQStat()
        for result in results:
            pq_stat += result
        categories = self.categories
        unseen = {k: v for k, v in categories.items() if name_key(v['name']) in self.unseen_classes}
        seen = {k: v for k, v in categories.items() if k not in unseen}
        logger = MMLogger.get_current_instance()
        for split, cats in (('seen', seen), ('unseen', unseen)):
            present = {k: v for k, v in cats.items()
                       if pq_stat.pq_per_cat[k].tp + pq_stat.pq_per_cat[k].fp + pq_stat.pq_per_cat[k].fn > 0}
            if not present:
                logger.warning(f'no {split} class occurs in the ground truth or the predictions: no PQ_{split}')
                continue
            res, _ = pq_stat.pq_average(present, isthing=None)
            for key in ('pq', 'sq', 'rq'):
                metrics[f'{key.upper()}_{split}'] = 100 * res[key]
            logger.info(f'panoptic quality over the {len(cats)} {split} classes ({res["n"]} present): '
                        f'PQ {100 * res["pq"]:.2f}, SQ {100 * res["sq"]:.2f}, RQ {100 * res["rq"]:.2f}')
        return metrics
