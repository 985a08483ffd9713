"""eossl models: backbones, necks, heads, losses, data preprocessors, classifiers and the
self-supervised algorithms (one per file). Importing this package registers all of them."""
from .backbones import (
    ConvNeXtV2FCMAE,
    DualModalityBackbone,
    EOResNet,
    EOVisionTransformer,
    MaskedConvNeXtV2Block,
    WavelengthConv2d,
    WavelengthPatchEmbed,
)
from .classifiers import EOImageClassifier
from .data_preprocessors import (
    EOClsDataPreprocessor,
    EODataPreprocessor,
    EOSegDataPreprocessor,
    SensorMixDataPreprocessor,
)
from .heads import (
    BottleneckProjector,
    CrossModalContrastiveHead,
    DINOProjectionHead,
    ImageLevelHead,
    PixelClassificationHead,
    PixelPredictionHead,
    PixelRegressionHead,
    SoftContrastiveHead,
)
from .losses import (
    CenteredCrossEntropyLoss,
    CrossModalNTXentLoss,
    KoLeoLoss,
    MaskedCrossEntropyLoss,
    MaskedMSELoss,
    SoftContrastiveLoss,
    UncertaintyWeighting,
)
from .necks import FCMAEDecoder, ProjectionMLP
from .selfsup import MPMAE, BaseEOSelfSupervisor, DualSimCLR, PerA, SoftCon
from .weights import build_backbone, get_weights, list_weights  # registers weights://

__all__ = [
    # backbones
    'ConvNeXtV2FCMAE', 'DualModalityBackbone', 'EOResNet', 'EOVisionTransformer',
    'MaskedConvNeXtV2Block', 'WavelengthConv2d', 'WavelengthPatchEmbed',
    # classifiers and data preprocessors
    'EOImageClassifier', 'EOClsDataPreprocessor', 'EODataPreprocessor', 'EOSegDataPreprocessor',
    'SensorMixDataPreprocessor',
    # heads
    'BottleneckProjector', 'CrossModalContrastiveHead', 'DINOProjectionHead', 'ImageLevelHead',
    'PixelClassificationHead', 'PixelPredictionHead', 'PixelRegressionHead',
    'SoftContrastiveHead',
    # losses
    'CenteredCrossEntropyLoss', 'CrossModalNTXentLoss', 'KoLeoLoss', 'MaskedCrossEntropyLoss',
    'MaskedMSELoss', 'SoftContrastiveLoss', 'UncertaintyWeighting',
    # necks
    'FCMAEDecoder', 'ProjectionMLP',
    # self-supervised algorithms
    'BaseEOSelfSupervisor', 'DualSimCLR', 'MPMAE', 'PerA', 'SoftCon',
    # named weights
    'build_backbone', 'get_weights', 'list_weights',
]
