"""Channel-adaptive backbones: ResNet, ViT, ConvNeXt V2 (FCMAE) and the two-modality wrapper."""
from .convnextv2_fcmae import ConvNeXtV2FCMAE
from .convnextv2_masked_block import MaskedConvNeXtV2Block
from .dual_modality_backbone import DualModalityBackbone
from .eo_resnet import EOResNet
from .eo_vit import EOVisionTransformer

__all__ = ['EOResNet', 'EOVisionTransformer', 'ConvNeXtV2FCMAE', 'MaskedConvNeXtV2Block',
           'DualModalityBackbone']
