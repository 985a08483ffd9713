"""Model helpers: patch grids, EMA teacher, gathering, RGB-weight inflation, band routing and
the wavelength stem fit (checkpoint conversion and extraction: :mod:`eossl.checkpoints`)."""
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
from .wavelength_fit import (
    WavelengthFromFixedPretrainedInit,
    fit_wavelength_conv,
    load_fixed_stem_checkpoint,
)

__all__ = [
    'all_gather_with_grad', 'patchify', 'unpatchify', 'upsample_grid', 'EMATeacher',
    'RGBInflatedPretrainedInit', 'inflate_rgb_weight', 'load_rgb_checkpoint_inflated',
    'resize_pos_embed', 'route_batch_bands', 'set_input_bands',
    'WavelengthFromFixedPretrainedInit', 'fit_wavelength_conv', 'load_fixed_stem_checkpoint',
]
