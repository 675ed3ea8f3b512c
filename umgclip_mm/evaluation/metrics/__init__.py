from .multi_granularity_retrieval_metric import MultiGranularityRetrievalMetric

__all__ = ['MultiGranularityRetrievalMetric']
