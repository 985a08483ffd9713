"""Colour jitter of RGB images as the official PerA student / teacher augmentation does it."""
from collections.abc import Sequence

import numpy as np
import torch
import torchvision.transforms.functional as F

from eossl.registry import TRANSFORMS

from .photometric import _RandomBandTransform

OPS = ('brightness', 'contrast', 'saturation', 'hue')
_ADJUST = dict(brightness=F.adjust_brightness, contrast=F.adjust_contrast,
               saturation=F.adjust_saturation, hue=F.adjust_hue)


@TRANSFORMS.register_module()
class RandomRGBColorJitter(_RandomBandTransform):
    """With ``prob``: grayscale with ``gray_prob``, otherwise brightness, contrast, saturation
    and hue jitter in a random order — the official PerA ``PerAColorJitter`` of one branch.

    Factors are drawn as torchvision's ``ColorJitter`` draws them: brightness / contrast /
    saturation ``~ U(max(0, 1 − v), 1 + v)``, hue ``~ U(−v, v)``; an op with ``v = 0`` is left
    out; the order of the remaining ops is a uniform random permutation (``random_order``).
    Grayscale is ITU-R 601 luma copied to the three channels. Only for 3-band R, G, B input
    (hue and saturation have no meaning for other band sets; multispectral recipes use the
    band-safe :class:`~.photometric.RandomBandBrightnessContrast` instead).

    The ops are torchvision's functional ops on floats in [0, 1]: the array is divided by
    ``max_value`` and clipped to [0, 1] first (as an 8-bit image is bounded), and multiplied
    back after. The official code applies the same ops to 8-bit PIL images, so it also rounds
    to 1/255 after each op; NaN (nodata) pixels count as 0 inside the ops and stay NaN.

    Official PerA: student ``prob=0.8, gray_prob=0.1``, teacher ``prob=0.1, gray_prob=0``,
    brightness 0.4, contrast 0.4, saturation 0.2, hue 0.1.

    Args:
        brightness / contrast / saturation: half-widths of the factor ranges around 1.
        hue: half-width of the hue shift range around 0, at most 0.5.
        prob: probability that the branch is photometrically changed at all.
        gray_prob: probability, once changed, of grayscale instead of the jitter.
        random_order: shuffle the op order per call (official); ``False``: the order of
            :data:`OPS`.
        max_value: the value of full intensity (255 for 8-bit RGB, 10000 for reflectance).
        keys: arrays jittered together (see :class:`~.keyed.MultiKeyTransform`).
    """

    def __init__(self, brightness: float = 0.4, contrast: float = 0.4, saturation: float = 0.2,
                 hue: float = 0.1, prob: float = 0.8, gray_prob: float = 0.0,
                 random_order: bool = True, max_value: float = 255.0,
                 keys: str | Sequence[str] = ('img',)) -> None:
        super().__init__(prob, keys)
        if min(brightness, contrast, saturation) < 0 or not 0 <= hue <= 0.5:
            raise ValueError('RandomRGBColorJitter: need brightness, contrast, saturation ≥ 0 '
                             f'and 0 ≤ hue ≤ 0.5, got {brightness}, {contrast}, {saturation}, '
                             f'{hue}')
        if not 0 <= gray_prob <= 1 or max_value <= 0:
            raise ValueError(f'RandomRGBColorJitter: need 0 ≤ gray_prob ≤ 1 and max_value > 0, '
                             f'got {gray_prob}, {max_value}')
        self.ranges = {name: (max(0.0, 1 - v), 1 + v) if name != 'hue' else (-v, v)
                       for name, v in zip(OPS, (brightness, contrast, saturation, hue)) if v}
        self.gray_prob, self.random_order, self.max_value = gray_prob, random_order, max_value

    def draw(self, num_bands: int) -> dict:
        """``{'gray': True}`` or the factors and ``order`` (a list of op names)."""
        if num_bands != 3:
            raise ValueError(f'RandomRGBColorJitter: needs 3 bands (R, G, B), got {num_bands}; '
                             'use RandomBandBrightnessContrast for other band sets')
        if self.gray_prob and np.random.rand() < self.gray_prob:
            return dict(gray=True)
        factors = {name: float(np.random.uniform(*r)) for name, r in self.ranges.items()}
        names = list(factors)
        order = ([names[i] for i in np.random.permutation(len(names))] if self.random_order
                 else names)
        return dict(gray=False, order=order, **factors)

    def apply(self, array: np.ndarray, params: dict, scale: float) -> np.ndarray:
        """The grayscale or the ordered ops on ``array`` (3, H, W)."""
        if array.shape[0] != 3:
            raise ValueError(f'RandomRGBColorJitter: needs (3, H, W) arrays, got {array.shape}')
        invalid = np.isnan(array)
        x = torch.from_numpy(np.clip(np.where(invalid, 0, array) / self.max_value, 0, 1)
                             .astype(np.float32))
        if params['gray']:
            x = F.rgb_to_grayscale(x, num_output_channels=3)
        else:
            for name in params['order']:
                x = _ADJUST[name](x, params[name])
        out = x.numpy() * np.float32(self.max_value)
        out[invalid] = np.nan
        return out

    def extra_repr(self) -> str:
        return (f'ranges={self.ranges}, gray_prob={self.gray_prob}, random_order='
                f'{self.random_order}, max_value={self.max_value}, {super().extra_repr()}')
