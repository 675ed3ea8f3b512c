"""Visualizers (registered in :data:`umgclip_mm.registry.VISUALIZERS`)."""
from .ov_det_local_visualizer import OVDetLocalVisualizer

__all__ = ['OVDetLocalVisualizer']
