"""Search inside images: multi-granularity retrieval over a collection (whole images, boxes, masks) with FAISS, and
phrase grounding (docs/search.md)."""
from .collection import CollectionItem, collection_fingerprint, read_collection
from .errors import BadImageError, CollectionError, SearchIndexError
from .faiss_index import (FLAT_MAX_VECTORS, build_faiss_index, ivfpq_params, read_faiss_index, search_index,
                          write_faiss_index)
from .grid_proposals import grid_proposals
from .hit_grid import hit_grid
from .index_builder import SearchIndexBuilder
from .panoptic_proposer import PanopticProposer
from .region_embedder import RegionEmbedder, read_image
from .rpn_proposer import RPNProposer
from .search_index import SearchHit, SearchIndex, ground_phrase, index_model_files
from .search_metrics import evaluate_index, grounding_accuracy, read_captioned_items, text_to_item_recall

__all__ = [
    'BadImageError', 'CollectionError', 'CollectionItem', 'FLAT_MAX_VECTORS', 'PanopticProposer', 'RPNProposer',
    'RegionEmbedder', 'SearchHit', 'SearchIndex', 'SearchIndexBuilder', 'SearchIndexError', 'build_faiss_index',
    'collection_fingerprint', 'evaluate_index', 'grid_proposals', 'ground_phrase', 'grounding_accuracy', 'hit_grid',
    'index_model_files', 'ivfpq_params', 'read_captioned_items', 'read_collection', 'read_faiss_index', 'read_image',
    'search_index', 'text_to_item_recall', 'write_faiss_index'
]
