"""Model helpers: patch grids, EMA teacher, gathering, RGB-weight inflation, checkpoint
conversion and backbone extraction."""
from .backbone_extraction import extract_backbone, first_layer
from .band_routing import route_batch_bands, set_input_bands
from .channel_inflation import (
    RGBInflatedPretrainedInit,
    inflate_rgb_weight,
    load_rgb_checkpoint_inflated,
    resize_pos_embed,
)
from .ema import EMATeacher
from .gather import all_gather_with_grad
from .patch_grid import patchify, unpatchify, upsample_grid
from .pretrained_check import PretrainedMismatchError, check_pretrained, pretrained_inits
from .softcon_checkpoint import eossl_to_softcon, softcon_to_eossl
from .wavelength_fit import (
    WavelengthFromFixedPretrainedInit,
    fit_wavelength_conv,
    load_fixed_stem_checkpoint,
)

__all__ = [
    'all_gather_with_grad', 'patchify', 'unpatchify', 'upsample_grid', 'EMATeacher',
    'RGBInflatedPretrainedInit', 'inflate_rgb_weight',
    'load_rgb_checkpoint_inflated', 'resize_pos_embed',
    'eossl_to_softcon', 'softcon_to_eossl', 'extract_backbone', 'first_layer',
    'PretrainedMismatchError', 'check_pretrained', 'pretrained_inits', 'route_batch_bands',
    'set_input_bands', 'WavelengthFromFixedPretrainedInit', 'fit_wavelength_conv',
    'load_fixed_stem_checkpoint'
]
