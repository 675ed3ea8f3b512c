from .umgclip_inferencer import CLIPPreprocess, UMGCLIPInferencer

__all__ = ['CLIPPreprocess', 'UMGCLIPInferencer']
