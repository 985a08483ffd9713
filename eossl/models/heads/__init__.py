from .cross_modal_contrastive_head import CrossModalContrastiveHead
from .image_level_head import ImageLevelHead
from .pixel_classification_head import PixelClassificationHead
from .pixel_regression_head import PixelRegressionHead
from .bottleneck_projector import BottleneckProjector
from .dino_projection_head import DINOProjectionHead
from .pixel_head import PixelPredictionHead
from .soft_contrastive_head import SoftContrastiveHead

__all__ = [
    'CrossModalContrastiveHead', 'ImageLevelHead', 'PixelClassificationHead',
    'PixelRegressionHead', 'BottleneckProjector', 'DINOProjectionHead', 'PixelPredictionHead',
    'SoftContrastiveHead'
]
