"""eossl models: backbones, necks, heads, losses, data preprocessors, classifiers and the
self-supervised algorithms (one per file). Importing this package registers all of them.

The method-bearing packages (``selfsup``, ``losses``, ``heads``, ``necks``) import and export
every module of their folder, and their names are re-exported here: a new method's files are
registered and importable from ``eossl.models`` without an edit to this file.
"""
from . import heads, losses, necks, selfsup
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
from .weights import build_backbone, get_weights, list_weights  # registers weights://

__all__ = [
    # backbones
    'ConvNeXtV2FCMAE', 'DualModalityBackbone', 'EOResNet', 'EOVisionTransformer',
    'MaskedConvNeXtV2Block', 'WavelengthConv2d', 'WavelengthPatchEmbed',
    # classifiers and data preprocessors
    'EOImageClassifier', 'EOClsDataPreprocessor', 'EODataPreprocessor', 'EOSegDataPreprocessor',
    'SensorMixDataPreprocessor',
    # named weights
    'build_backbone', 'get_weights', 'list_weights',
]
# every name the method-bearing packages export (their modules are found, not listed)
for _package in (heads, losses, necks, selfsup):
    globals().update({_name: getattr(_package, _name) for _name in _package.__all__})
    __all__ += _package.__all__
del _package
