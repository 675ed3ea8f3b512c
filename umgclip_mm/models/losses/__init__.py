from .contrastive_loss import ContrastiveLoss
from .distributed import gather_with_grad, global_mean_divisor
from .multi_label_tag_loss import MultiLabelTagLoss

__all__ = ['ContrastiveLoss', 'MultiLabelTagLoss', 'gather_with_grad', 'global_mean_divisor']
