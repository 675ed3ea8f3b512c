from . import demo_drawing, demo_utils
from .inference import init_model, load_model_weights
from .inferencers import CLIPPreprocess, UMGCLIPInferencer

__all__ = ['init_model', 'load_model_weights', 'demo_drawing', 'demo_utils', 'UMGCLIPInferencer', 'CLIPPreprocess']
