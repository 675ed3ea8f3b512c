from .ov_ensemble import geometric_ensemble
from .vocabulary import DEFAULT_TEMPLATES, Vocabulary, build_vocabulary, clean_class_name

__all__ = ['geometric_ensemble', 'DEFAULT_TEMPLATES', 'Vocabulary', 'build_vocabulary', 'clean_class_name']
