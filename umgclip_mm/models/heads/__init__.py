from .ov_mask2former_head import OVMask2FormerHead
from .text_embedding_classifier import TextEmbeddingClassifier

__all__ = ['OVMask2FormerHead', 'TextEmbeddingClassifier']
