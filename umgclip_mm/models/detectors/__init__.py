from .ov_mask2former import OVMask2Former

__all__ = ['OVMask2Former']
