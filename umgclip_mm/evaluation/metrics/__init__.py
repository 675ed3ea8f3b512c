from .gallery_retrieval_recall import GalleryRetrievalRecall
from .multi_granularity_retrieval_metric import MultiGranularityRetrievalMetric
from .ov_coco_panoptic_metric import OVCocoPanopticMetric
from .ov_iou_metric import OVIoUMetric
from .vocabulary_accuracy import VocabularyAccuracy
from .zero_shot_recognition_metric import ZeroShotRecognitionMetric

__all__ = ['GalleryRetrievalRecall', 'MultiGranularityRetrievalMetric', 'OVCocoPanopticMetric', 'OVIoUMetric',
           'VocabularyAccuracy', 'ZeroShotRecognitionMetric']
