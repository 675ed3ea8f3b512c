"""Converters of public multi-granularity data sets to the UMG JSON-lines format (docs/data_format.md). The tools in
tools/dataset_converters/*2umg.py parse their arguments and files and call these."""
from .coco import clean_name, convert_coco
from .flickr30k_entities import convert_flickr30k_entities, parse_annotation, parse_sentences
from .gbc import convert_gbc, gbc_image_file
from .mg_data import DEFAULT_FIELDS as MG_DATA_FIELDS
from .mg_data import compress_rle, convert_mg_data
from .refcoco import convert_refcoco
from .safe_pickle import RestrictedUnpickler, UnsafePickleError, load_data_pickle
from .umg_writer import (BadRecords, ConversionError, UMGShardWriter, expand_inputs, image_size, iter_json_records,
                         load_json, progress, run_tool, texts, umg_record, write_records, xywh_box, xyxy_box)
from .visual_genome import convert_visual_genome, index_by_image, vg_image_file

__all__ = [
    'BadRecords', 'ConversionError', 'MG_DATA_FIELDS', 'RestrictedUnpickler', 'UMGShardWriter', 'UnsafePickleError',
    'clean_name', 'compress_rle', 'convert_coco', 'convert_flickr30k_entities', 'convert_gbc', 'convert_mg_data',
    'convert_refcoco', 'convert_visual_genome', 'expand_inputs', 'gbc_image_file', 'image_size', 'index_by_image',
    'iter_json_records', 'load_data_pickle', 'load_json', 'parse_annotation', 'parse_sentences', 'progress',
    'run_tool', 'texts', 'umg_record', 'vg_image_file', 'write_records', 'xywh_box', 'xyxy_box'
]
