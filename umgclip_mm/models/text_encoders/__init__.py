from .clip_tokenizer import CLIPTokenizer
from .umgclip_text_encoder import UMGCLIPTextEncoder

__all__ = ['CLIPTokenizer', 'UMGCLIPTextEncoder']
