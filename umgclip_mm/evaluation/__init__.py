from .metrics import MultiGranularityRetrievalMetric

__all__ = ['MultiGranularityRetrievalMetric']
