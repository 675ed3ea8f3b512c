from .multi_granularity_retrieval_metric import MultiGranularityRetrievalMetric
from .ov_coco_panoptic_metric import OVCocoPanopticMetric

__all__ = ['MultiGranularityRetrievalMetric', 'OVCocoPanopticMetric']
