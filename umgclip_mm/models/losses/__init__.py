from .contrastive_loss import ContrastiveLoss, gather_with_grad

__all__ = ['ContrastiveLoss', 'gather_with_grad']
