from .synthetic_caption_dataset import SyntheticCaptionDataset

__all__ = ['SyntheticCaptionDataset']
