"""Heads of the self-supervised methods (contrastive, DINO-style, pixel) and MP-MAE's
pretext heads."""
from .bottleneck_projector import BottleneckProjector
from .cross_modal_contrastive_head import CrossModalContrastiveHead
from .dino_projection_head import DINOProjectionHead
from .image_level_head import ImageLevelHead
from .pixel_classification_head import PixelClassificationHead
from .pixel_head import PixelPredictionHead
from .pixel_regression_head import PixelRegressionHead
from .soft_contrastive_head import SoftContrastiveHead

__all__ = [
    'CrossModalContrastiveHead', 'ImageLevelHead', 'PixelClassificationHead',
    'PixelRegressionHead', 'BottleneckProjector', 'DINOProjectionHead', 'PixelPredictionHead',
    'SoftContrastiveHead'
]
