from .cross_modal_nt_xent import CrossModalNTXentLoss
from .masked_cross_entropy_loss import MaskedCrossEntropyLoss
from .masked_mse_loss import MaskedMSELoss
from .uncertainty_weighting import UncertaintyWeighting
from .centered_cross_entropy import CenteredCrossEntropyLoss
from .koleo_loss import KoLeoLoss
from .soft_contrastive_loss import SoftContrastiveLoss

__all__ = [
    'CrossModalNTXentLoss', 'MaskedCrossEntropyLoss', 'MaskedMSELoss', 'UncertaintyWeighting',
    'CenteredCrossEntropyLoss', 'KoLeoLoss', 'SoftContrastiveLoss'
]
