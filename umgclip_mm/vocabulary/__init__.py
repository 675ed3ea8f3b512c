"""Class vocabularies (names, synonyms, things and stuff, seen and unseen) and prompt templates."""
from .templates import DEFAULT_TEMPLATES, check_templates
from .vocabulary import (CLASS_LIST_DIR, Vocabulary, available_class_lists, build_vocabulary, class_list_path,
                         clean_class_name, dataset_metainfo, name_key, read_class_file, read_class_list)

__all__ = [
    'CLASS_LIST_DIR', 'DEFAULT_TEMPLATES', 'Vocabulary', 'available_class_lists', 'build_vocabulary',
    'check_templates', 'class_list_path', 'clean_class_name', 'dataset_metainfo', 'name_key', 'read_class_file',
    'read_class_list'
]
