"""Put a loaded image's bands into a model's band order, filling bands the product lacks."""
from collections.abc import Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from eossl.datasets.bands import normalize_band_name, resolve_bands
from eossl.datasets.errors import InvalidSampleError
from eossl.registry import TRANSFORMS


@TRANSFORMS.register_module()
class FillMissingBands(BaseTransform):
    """Reorder ``results[key]`` ``(C, H, W)`` to ``bands`` and fill the bands it does not have.

    A backbone pretrained on 13-band Sentinel-2 L1C meets 12-band L2A data (BigEarthNet has no
    cirrus band B10): the missing band becomes ``value`` (NaN by default, which the data
    preprocessor turns into 0 after normalization, i.e. the band mean), so the first layer keeps
    its pretrained shape. The band names come from ``results[key + '_bands']`` (written by
    :class:`LoadMultiBandImage`) and are updated.

    Args:
        bands: the output band names, in order, or a band-set name (``'s2_l1c'``).
        key: the results key of the image.
        value: the fill value of a missing band.

    Raises:
        InvalidSampleError: the image holds a band that is not in ``bands`` (it would be
            dropped silently), or has no band names.
    """

    def __init__(self, bands: str | Sequence[str], key: str = 'img',
                 value: float = float('nan')) -> None:
        if not bands:
            raise ValueError(f'FillMissingBands: bands must be a band-set name or a non-empty '
                             f'list of band names, got {bands!r}')
        self.bands = tuple(normalize_band_name(b) for b in resolve_bands(bands) or ())
        self.key, self.value = key, value

    def transform(self, results: dict) -> dict:
        """Replace ``results[key]`` and ``results[key + '_bands']``."""
        image, names = results[self.key], results.get(self.key + '_bands')
        if names is None or len(names) != image.shape[0]:
            raise InvalidSampleError(f"sample {results.get('sample_id')!r}: results['{self.key}"
                                     f"_bands'] must name the {image.shape[0]} bands of "
                                     f"'{self.key}', got {names!r}")
        have = {normalize_band_name(n): i for i, n in enumerate(names)}
        extra = [n for n in have if n not in self.bands]
        if extra:
            raise InvalidSampleError(f"sample {results.get('sample_id')!r}: band(s) {extra} of "
                                     f"'{self.key}' are not among the target bands {self.bands}")
        out = np.full((len(self.bands), *image.shape[1:]), self.value, dtype=image.dtype)
        for i, band in enumerate(self.bands):
            if band in have:
                out[i] = image[have[band]]
        results[self.key] = out
        results[self.key + '_bands'] = self.bands
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(bands={self.bands}, key={self.key!r}, value={self.value})'
