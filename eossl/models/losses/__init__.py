"""Losses of the self-supervised methods, one per file."""
from .centered_cross_entropy import CenteredCrossEntropyLoss
from .cross_modal_nt_xent import CrossModalNTXentLoss
from .koleo_loss import KoLeoLoss
from .masked_cross_entropy_loss import MaskedCrossEntropyLoss
from .masked_mse_loss import MaskedMSELoss
from .soft_contrastive_loss import SoftContrastiveLoss
from .uncertainty_weighting import UncertaintyWeighting

__all__ = [
    'CrossModalNTXentLoss', 'MaskedCrossEntropyLoss', 'MaskedMSELoss', 'UncertaintyWeighting',
    'CenteredCrossEntropyLoss', 'KoLeoLoss', 'SoftContrastiveLoss'
]
