"""Zero-shot recognition and retrieval with a frozen UMG-CLIP, for mmpretrain's runner and loops."""
from .zero_shot_classifier import ZeroShotClassifier
from .zero_shot_retriever import ZeroShotRetriever

__all__ = ['ZeroShotClassifier', 'ZeroShotRetriever']
