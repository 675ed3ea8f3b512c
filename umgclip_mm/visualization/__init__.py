"""Visualizers (registered in :data:`umgclip_mm.registry.VISUALIZERS`) and the palette they share."""
from .drawing import distinct_palette
from .ov_det_local_visualizer import OVDetLocalVisualizer
from .ov_seg_local_visualizer import OVSegLocalVisualizer
from .umg_local_visualizer import UMGLocalVisualizer

__all__ = ['OVDetLocalVisualizer', 'OVSegLocalVisualizer', 'UMGLocalVisualizer', 'distinct_palette']
