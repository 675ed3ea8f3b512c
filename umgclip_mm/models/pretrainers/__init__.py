from .umgclip import CLIP_MEAN, CLIP_STD, UMGCLIP

__all__ = ['UMGCLIP', 'CLIP_MEAN', 'CLIP_STD']
