"""Per-band normalization of multi-band batches, views and modality dicts."""
from collections.abc import Mapping, Sequence
from typing import TypeAlias

import torch
from mmengine.model import BaseDataPreprocessor

from eossl.datasets.bands import resolve_stats
from eossl.datasets.compact_arrays import decode_tensor
from eossl.registry import MODELS

from .batch_views import aligned_views, view_plan
from .sample_fields import MissingFieldError, attach_field, collate_field, to_device

Batch: TypeAlias = torch.Tensor | list[torch.Tensor]
PerModality = Sequence[float] | Mapping[str, Sequence[float]]


@MODELS.register_module()
class EODataPreprocessor(BaseDataPreprocessor):
    """Stack, cast to float, normalize per band, then NaN → 0; for any band count.

    Unlike mmpretrain's preprocessors it never flips RGB and accepts any number of channels.
    ``inputs`` may be

    - a tensor ``(B, C, H, W)`` or a list of ``B`` tensors ``(C, H, W)`` (``pseudo_collate``),
    - a list of views, each ``(B, C, H, W)`` or a list of ``B`` tensors ``(C, H, W)``,
    - a dict ``{modality: any of the above}``, normalized with that modality's statistics.

    NaN (nodata) is replaced by 0 *after* normalization, i.e. by the band mean, so missing pixels
    carry no signal instead of an extreme value. Integer inputs (compact shard samples: uint16
    reflectance, ...) are converted here, on the device, with their dtype's extreme value as
    nodata (:mod:`eossl.datasets.compact_arrays`); float16 inputs are widened to float32.
    Fields a DataLoader worker already collated (``data['collated']``, written by
    :func:`eossl.datasets.worker_collate.collate_in_workers`) are moved to the device and shared
    by the samples as if collated here.

    Args:
        mean: per-band means, a list (all inputs) or ``{modality: list}``.
        std: per-band standard deviations, same form as ``mean``.
        stats: instead of ``mean``/``std``, names in :mod:`eossl.datasets.bands`:
            ``'bigearthnet:s2_l2a'`` or ``{modality: 'source:sensor'}``.
        bands: band subset/order for ``stats`` (a list, or ``{modality: list}``); default the
            source's stored order.
        channels_last: return 4-D batches in ``torch.channels_last`` memory format.
        non_blocking: passed to the device copy.
        collate_fields: DataSample fields (e.g. PerA's ``'disjoint_masks'``, MP-MAE's targets)
            collated once per batch into ``(B, ...)`` device tensors (pinned, copied with
            ``non_blocking``) and shared by every sample; see :mod:`.sample_fields`. They are
            pretraining fields: a non-training batch (``training=False``) whose samples all
            lack one skips it, so features can be extracted through a pretraining recipe's
            preprocessor; a training batch, or a batch only some samples of which carry it,
            is refused with a ``MissingFieldError`` (a ``KeyError``) naming the field and
            the samples.
        aligned_views: name of the DataSample field written by
            ``AlignedMultiViews(batch_augment=True)``. When the samples carry it, ``inputs`` are
            the source tiles (B, C, H, W) and the paired views are cut, flipped and jittered
            here for the whole batch, before normalization (:mod:`.batch_views`), without a
            host sync: view sizes, modes and the no-nodata flag are read from the parameters
            while they are CPU tensors, before the device copy. The field is left out of the
            returned samples; the caller's batch is not changed (a benchmark may feed it
            again). Samples without it pass unchanged.
    """

    def __init__(self, mean: PerModality | None = None, std: PerModality | None = None,
                 stats: str | Mapping[str, str] | None = None,
                 bands: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
                 channels_last: bool = False, non_blocking: bool = False,
                 collate_fields: Sequence[str] = (), aligned_views: str | None = None) -> None:
        super().__init__(non_blocking)
        self.channels_last = channels_last
        self.collate_fields = tuple(collate_fields)
        self.aligned_views = aligned_views
        self.modalities: list[str | None] = []
        for modality, (m, s) in self._collect(mean, std, stats, bands).items():
            if len(m) != len(s) or not len(m):
                raise ValueError(f'EODataPreprocessor: {self._name(modality)} has {len(m)} means '
                                 f'and {len(s)} stds; expected the same non-zero number')
            if any(v <= 0 for v in s):
                raise ValueError(f'EODataPreprocessor: {self._name(modality)} std must be > 0, '
                                 f'got {list(s)}')
            suffix = '' if modality is None else f'_{modality}'
            for name, values in (('mean', m), ('std', s)):
                buffer = torch.tensor(values, dtype=torch.float32).view(-1, 1, 1)
                self.register_buffer(name + suffix, buffer, persistent=False)
            self.modalities.append(modality)

    @staticmethod
    def _name(modality: str | None) -> str:
        return 'inputs' if modality is None else f'modality {modality!r}'

    @staticmethod
    def _collect(mean: PerModality | None, std: PerModality | None,
                 stats: str | Mapping[str, str] | None,
                 bands: Sequence[str] | Mapping[str, Sequence[str]] | None
                 ) -> dict[str | None, tuple[list[float], list[float]]]:
        """``{modality or None: (means, stds)}`` from either explicit values or ``stats``."""
        if stats is not None:
            if mean is not None or std is not None:
                raise ValueError('EODataPreprocessor: give either stats or mean/std, not both')
            if isinstance(stats, str):
                if isinstance(bands, Mapping):
                    raise ValueError('EODataPreprocessor: bands must be a list when stats is one '
                                     f'name, got a dict for {stats!r}')
                return {None: resolve_stats(stats, bands)}
            bands = bands or {}
            if not isinstance(bands, Mapping):
                raise ValueError('EODataPreprocessor: stats is per modality, so bands must be a '
                                 f'dict {{modality: list}}, got {bands!r}')
            return {m: resolve_stats(spec, bands.get(m)) for m, spec in stats.items()}
        if (mean is None) != (std is None):
            raise ValueError('EODataPreprocessor: mean and std must be given together')
        if mean is None:
            return {}
        if isinstance(mean, Mapping) != isinstance(std, Mapping) or (
                isinstance(mean, Mapping) and set(mean) != set(std)):
            raise ValueError('EODataPreprocessor: mean and std must both be lists or dicts with '
                             f'the same modalities, got {mean!r} and {std!r}')
        if isinstance(mean, Mapping):
            return {m: (list(mean[m]), list(std[m])) for m in mean}  # type: ignore[call-overload]
        return {None: (list(mean), list(std))}  # type: ignore[arg-type]

    def forward(self, data: dict, training: bool = False) -> dict:
        """``{'inputs', 'data_samples'}`` with normalized float inputs of the same structure
        (and the ``collate_fields`` of the data samples collated).

        Always in fp32: mmengine runs the preprocessor inside the optimizer wrapper's autocast
        region, where the view cutting's resampling matmuls would run on raw reflectance in
        bf16 (~0.3 % error per pixel); autocast is turned off here.
        """
        with torch.autocast(self._device.type, enabled=False):
            return self._forward(data, training)

    def _forward(self, data: dict, training: bool) -> dict:
        """:meth:`forward` outside autocast."""
        samples = data.get('data_samples')
        collated = dict(data.get('collated') or {})
        views = self._view_params(samples, collated)
        for name, batch in collated.items():
            attach_field(samples, name, batch, self.device, self._non_blocking)
        data = {k: v for k, v in data.items() if k != 'collated'}  # moved once, just above
        for name in self.collate_fields if samples else ():
            if self._has_field(samples, name, training):
                collate_field(samples, name, self.device, self._non_blocking)
        data = self.cast_data(data)  # new DataSamples: the caller's batch stays reusable
        inputs = data['inputs']
        if views is not None:
            for sample in data.get('data_samples') or ():
                sample.pop(self.aligned_views, None)
            plan, params = view_plan(views)
            on_device = to_device(params, self.device, self._non_blocking)
            inputs = aligned_views(decode_tensor(self._as_batch(inputs, None)),
                                   on_device, plan)  # type: ignore[arg-type]
        if isinstance(inputs, Mapping):
            out = {m: self._process(v, m) for m, v in inputs.items()}
        else:
            out = self._process(inputs, None)  # type: ignore[assignment]
        return {'inputs': out, 'data_samples': data.get('data_samples')}

    def _view_params(self, samples: Sequence | None,
                     collated: dict) -> dict[str, torch.Tensor] | None:
        """The batch's ``aligned_views`` parameters as CPU tensors (taken out of ``collated``
        or collated from the samples); None when the batch has none."""
        if not self.aligned_views:
            return None
        if self.aligned_views in collated:
            return collated.pop(self.aligned_views)
        if not samples or self.aligned_views not in samples[0]:
            return None
        return collate_field(samples, self.aligned_views,  # type: ignore[return-value]
                             torch.device('cpu'))

    @staticmethod
    def _has_field(samples: Sequence, name: str, training: bool) -> bool:
        """Whether to collate ``name``: the pretraining fields belong to training batches; a
        batch where no sample has one (features extracted through a pretraining recipe's
        preprocessor, a probe) skips it unless it is a training step."""
        missing = [i for i, sample in enumerate(samples) if name not in sample]
        if not missing:
            return True
        if len(missing) < len(samples) or training:
            ids = [samples[i].metainfo.get('sample_id', f'#{i}') for i in missing]
            raise MissingFieldError(f'EODataPreprocessor(collate_fields={name!r}): the '
                           f'{"training " if training else ""}batch samples {ids[:5]} have no '
                           f'field "{name}" ({len(missing)} of {len(samples)} samples); the '
                           "recipe's pretraining pipeline adds it, so train with that pipeline "
                           '(inference batches may omit it in every sample)')
        return False

    def _process(self, value: Batch | list[list[torch.Tensor]],
                 modality: str | None) -> Batch:
        """One batch ``(B, C, H, W)`` or a list of views, stacked and normalized."""
        if isinstance(value, torch.Tensor):
            return self._normalize(self._as_batch(value, modality), modality)
        if not isinstance(value, (list, tuple)) or not value:
            raise TypeError(f'EODataPreprocessor: {self._name(modality)} must be a tensor or a '
                            f'non-empty list, got {type(value).__name__}')
        if all(isinstance(v, torch.Tensor) and v.dim() == 3 for v in value):
            return self._normalize(self._stack(value, modality), modality)
        return [self._normalize(self._as_batch(v, modality), modality) for v in value]

    def _as_batch(self, value: torch.Tensor | Sequence[torch.Tensor],
                  modality: str | None) -> torch.Tensor:
        """A ``(B, C, H, W)`` tensor from a batch tensor or a list of per-sample tensors."""
        if isinstance(value, torch.Tensor):
            if value.dim() != 4:
                raise ValueError(f'EODataPreprocessor: {self._name(modality)} batch must be '
                                 f'(B, C, H, W), got shape {tuple(value.shape)}')
            return value
        return self._stack(value, modality)

    def _stack(self, samples: Sequence[torch.Tensor], modality: str | None) -> torch.Tensor:
        shapes = {tuple(s.shape) for s in samples}
        if len(shapes) != 1 or len(next(iter(shapes))) != 3:
            raise ValueError(f'EODataPreprocessor: cannot stack {self._name(modality)}: samples '
                             f'must share one (C, H, W) shape, got {sorted(shapes)}')
        return torch.stack(list(samples))

    def _stats_for(self, modality: str | None) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The ``(C, 1, 1)`` mean/std buffers of ``modality``; ``None`` when none are set."""
        if not self.modalities:
            return None
        key = modality if modality in self.modalities else None
        if key not in self.modalities:
            raise ValueError(f'EODataPreprocessor: no mean/std for {self._name(modality)}; '
                             f'configured for {self.modalities}')
        suffix = '' if key is None else f'_{key}'
        return getattr(self, 'mean' + suffix), getattr(self, 'std' + suffix)

    def _normalize(self, batch: torch.Tensor, modality: str | None) -> torch.Tensor:
        """``(batch − mean) / std`` per band, NaN → 0, optionally channels-last."""
        batch = decode_tensor(batch)
        stats = self._stats_for(modality)
        if stats is not None:
            mean, std = stats
            if batch.shape[1] != mean.shape[0]:
                raise ValueError(f'EODataPreprocessor: {self._name(modality)} has '
                                 f'{batch.shape[1]} channels but mean/std have {mean.shape[0]} '
                                 'values')
            batch = (batch - mean) / std
        batch = batch.masked_fill(torch.isnan(batch), 0.0)
        if self.channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        return batch
