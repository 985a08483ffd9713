"""MMEarth's (and ConvNeXt V2 FCMAE's) weight initialization, rule by rule.

The official ``FCMAE._init_weights`` runs over every module of the sparse model. Its
``trunc_normal_`` calls without ``std`` draw from N(0, 1) truncated to [−2, 2], so the rule depends
on the module type the official model uses at each place:

- encoder (MinkowskiEngine layers): depthwise convolutions N(0, 1); other convolutions
  N(0, 0.02²); the pointwise ``MinkowskiLinear`` layers N(0, 1);
- decoder and heads (dense layers): every ``nn.Conv2d`` N(0, 1) (the projection, depthwise conv
  and 1×1 prediction convs), every ``nn.Linear`` N(0, 0.02²);
- biases 0, LayerNorm weight 1 and bias 0 everywhere; GRN parameters keep their zeros.
"""
from torch import nn
from torch.nn.init import trunc_normal_


def _depthwise(conv: nn.Conv2d) -> bool:
    return conv.groups > 1 and conv.groups == conv.in_channels


def _init(module: nn.Module, conv_std, linear_std: float) -> None:
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            trunc_normal_(m.weight, std=conv_std(m), a=-2., b=2.)
        elif isinstance(m, nn.Linear):
            trunc_normal_(m.weight, std=linear_std, a=-2., b=2.)
        elif isinstance(m, nn.LayerNorm) or type(m).__name__ == 'LayerNorm2d':
            nn.init.ones_(m.weight)
        else:
            continue
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def init_fcmae_encoder(module: nn.Module) -> None:
    """Official init of the sparse ConvNeXt V2 encoder's counterparts in ``module``."""
    _init(module, lambda conv: 1. if _depthwise(conv) else .02, linear_std=1.)


def init_fcmae_decoder(module: nn.Module) -> None:
    """Official init of the FCMAE decoder / pretext heads' layers in ``module``."""
    _init(module, lambda conv: 1., linear_std=.02)
