from .eo_resnet import EOResNet
from .eo_vit import EOVisionTransformer
from .convnextv2_fcmae import ConvNeXtV2FCMAE
from .convnextv2_masked_block import MaskedConvNeXtV2Block
from .dual_modality_backbone import DualModalityBackbone

__all__ = ['EOResNet', 'EOVisionTransformer', 'ConvNeXtV2FCMAE', 'MaskedConvNeXtV2Block',
           'DualModalityBackbone']
