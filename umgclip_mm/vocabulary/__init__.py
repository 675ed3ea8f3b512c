"""Class vocabularies (names, synonyms, things and stuff, seen and unseen) and prompt templates."""
from .templates import DEFAULT_TEMPLATES, check_templates
from .vocabulary import (Vocabulary, build_vocabulary, clean_class_name, dataset_metainfo, name_key,
                         read_class_file)

__all__ = [
    'DEFAULT_TEMPLATES', 'Vocabulary', 'build_vocabulary', 'check_templates', 'clean_class_name', 'dataset_metainfo',
    'name_key', 'read_class_file'
]
