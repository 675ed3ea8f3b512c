"""What every open-vocabulary task model shares: class embeddings of a vocabulary, the text-embedding classifier,
the ensemble with the frozen model's own scores, and the mixins that tie them to a frozen UMG-CLIP."""
from .frozen_clip_mixin import FrozenCLIPMixin
from .oov_ensemble import OOVEnsemble, geometric_ensemble
from .open_vocab_mixin import OpenVocabMixin, with_default_type
from .text_embedding_classifier import TextEmbeddingClassifier
from .vocabulary_encoder import VocabularyEncoder

__all__ = [
    'FrozenCLIPMixin', 'OOVEnsemble', 'OpenVocabMixin', 'TextEmbeddingClassifier', 'VocabularyEncoder',
    'geometric_ensemble', 'with_default_type'
]
