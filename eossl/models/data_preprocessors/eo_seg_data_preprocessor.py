"""mmseg's SegDataPreProcessor for any band count, with per-band statistics by name."""
from collections.abc import Sequence

import torch
from mmseg.models.data_preprocessor import SegDataPreProcessor

from eossl.datasets.bands import resolve_stats
from eossl.registry import MODELS


def check_channels_first(sample: torch.Tensor, data_sample) -> None:
    """Refuse an image that mmseg's ``PackSegInputs`` transposed.

    eossl loaders write ``(C, H, W)`` arrays; mmseg's ``PackSegInputs`` expects ``(H, W, C)``
    and transposes them into ``(W, C, H)``, which later fails with a bare tensor-size error.
    The sample's ``img_shape`` (the loader's ``(H, W)``) tells the two apart.
    """
    shape = tuple(getattr(data_sample, 'metainfo', {}).get('img_shape') or ())[:2]
    if len(shape) != 2 or tuple(sample.shape[1:]) == shape:
        return
    if (sample.shape[0], sample.shape[2]) == (shape[1], shape[0]):
        raise ValueError(
            f'EOSegDataPreprocessor: sample {data_sample.metainfo.get("sample_id")!r} arrives '
            f'as {tuple(sample.shape)} for an image of img_shape {shape}: an eossl loader wrote '
            f'it channel-first (C, H, W) and mmseg\'s PackSegInputs transposed it as if it were '
            "(H, W, C). Pack eossl images with dict(type='eossl.PackEOSegInputs') instead of "
            "PackSegInputs.")


@MODELS.register_module()
class EOSegDataPreprocessor(SegDataPreProcessor):
    """Normalize each band, NaN → 0, then mmseg's padding and stacking (images and label maps).

    mmseg's own preprocessor takes a mean/std of any length but lets NaN (nodata) through and
    offers an RGB/BGR swap that has no meaning for multispectral data. Here every sample
    ``(C, H, W)`` is normalized with per-band statistics (``stats='source:sensor'`` from
    :mod:`eossl.datasets.bands`, or explicit ``mean``/``std``), NaN becomes 0 (the band mean)
    after normalization, and the parent pads images with ``pad_val`` and label maps with
    ``seg_pad_val`` (ignored) to ``size`` / ``size_divisor`` before stacking to ``(B, C, H, W)``.

    Images must be channel-first ``(C, H, W)``, as ``eossl.PackEOSegInputs`` packs them; an image
    transposed by mmseg's ``PackSegInputs`` (made for ``(H, W, C)`` arrays) is refused with a
    message naming the fix (:func:`check_channels_first`).

    Args:
        mean, std: per-band values, in input band order.
        stats: instead of ``mean``/``std``, e.g. ``'ssl4eo_s12:s2_l1c'``.
        bands: band subset/order for ``stats``; default the source's stored order.
        size, size_divisor, pad_val, seg_pad_val, test_cfg: as in mmseg's
            ``SegDataPreProcessor`` (padding happens after normalization, so ``pad_val=0`` pads
            with the band means); without ``size`` and ``size_divisor`` a training batch is
            padded to its largest sample.
    """

    def __init__(self, mean: Sequence[float] | None = None, std: Sequence[float] | None = None,
                 stats: str | None = None, bands: Sequence[str] | None = None,
                 size: tuple | None = None, size_divisor: int | None = None,
                 pad_val: float = 0, seg_pad_val: int = 255, test_cfg: dict | None = None) -> None:
        if size is None and size_divisor is None:
            size_divisor = 1  # mmseg's batch stacking needs one of the two
        super().__init__(size=size, size_divisor=size_divisor, pad_val=pad_val,
                         seg_pad_val=seg_pad_val, test_cfg=test_cfg)
        if stats is not None:
            if mean is not None or std is not None:
                raise ValueError('EOSegDataPreprocessor: give either stats or mean/std, not both')
            mean, std = resolve_stats(stats, bands)
        if (mean is None) != (std is None) or (mean is not None and (
                len(mean) != len(std) or not len(mean) or min(std) <= 0)):
            raise ValueError('EOSegDataPreprocessor: mean and std must be given together, with '
                             f'the same non-zero length and std > 0; got {mean!r}, {std!r}')
        for name, values in (('band_mean', mean), ('band_std', std)):
            buffer = None if values is None else torch.tensor(values).float().view(-1, 1, 1)
            self.register_buffer(name, buffer, persistent=False)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalize each sample, then pad and stack as mmseg does."""
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, torch.Tensor):
            inputs = list(inputs)
        samples = data.get('data_samples') or [None] * len(inputs)
        for sample, data_sample in zip(inputs, samples):
            check_channels_first(sample, data_sample)
        normalized = [self._normalize(sample) for sample in inputs]
        return super().forward(dict(inputs=normalized, data_samples=data.get('data_samples')),
                               training)

    def _normalize(self, sample: torch.Tensor) -> torch.Tensor:
        """``(C, H, W)`` → float, per band ``(x − mean) / std``, NaN → 0."""
        sample = sample.float()
        if self.band_mean is not None:
            if sample.shape[0] != self.band_mean.shape[0]:
                raise ValueError(f'EOSegDataPreprocessor: input has {sample.shape[0]} bands but '
                                 f'mean/std have {self.band_mean.shape[0]} values')
            sample = (sample - self.band_mean) / self.band_std
        return sample.masked_fill(torch.isnan(sample), 0.0)
