from .vocabulary_check_hook import VocabularyCheckHook

__all__ = ['VocabularyCheckHook']
