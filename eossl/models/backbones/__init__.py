"""Channel-adaptive backbones: ResNet, ViT, ConvNeXt V2 (FCMAE), the two-modality wrapper and
wavelength-conditioned stems."""
from .convnextv2_fcmae import ConvNeXtV2FCMAE
from .convnextv2_masked_block import MaskedConvNeXtV2Block
from .dual_modality_backbone import DualModalityBackbone
from .eo_resnet import EOResNet
from .eo_vit import EOVisionTransformer
from .wavelength_stem import WavelengthConv2d, WavelengthPatchEmbed

__all__ = ['EOResNet', 'EOVisionTransformer', 'ConvNeXtV2FCMAE', 'MaskedConvNeXtV2Block',
           'DualModalityBackbone', 'WavelengthConv2d', 'WavelengthPatchEmbed']
