"""Per-sample DataSample fields collated once per batch into device tensors.

A field such as PerA's ``disjoint_masks`` (per sample ``{'student': [S index arrays], ...}``)
or MP-MAE's pretext targets (per sample one array per target) is stacked leaf by leaf into one
``(B, ...)`` tensor (by the preprocessor, or already in the DataLoader workers), pinned when the
target device is CUDA and copied there non-blocking. The
collated structure is set as the field of every data sample (one shared object, plus the
sample's row in it as the metainfo ``<field>_row``), so a model reads the whole batch from
``data_samples[0]`` and never stacks per-sample arrays itself. A subset or reordering of the
samples (a per-rank half, a sub-batch) still gets its own rows: they are gathered from the
shared batch on the device.
"""
from collections.abc import Mapping, Sequence
from typing import TypeAlias

import numpy as np
import torch
from mmpretrain.structures import DataSample

from eossl.datasets.worker_collate import stack_field

Field: TypeAlias = torch.Tensor | np.ndarray | Mapping | Sequence


class MissingFieldError(KeyError):
    """Samples lack a field the batch needs (a ``KeyError`` printed as its plain message,
    not ``KeyError``'s quoted repr)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


def to_device(value: Field, device: torch.device, non_blocking: bool) -> Field:
    """Every leaf on ``device``: pinned first (unless it is) when that is CUDA."""
    if isinstance(value, Mapping):
        return {k: to_device(v, device, non_blocking) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_device(v, device, non_blocking) for v in value]
    if device.type == 'cuda' and value.device.type == 'cpu' and not value.is_pinned():  # type: ignore[union-attr]
        value = value.pin_memory()  # type: ignore[union-attr]
    return value.to(device, non_blocking=non_blocking)  # type: ignore[union-attr]


def _leaf(value: Field) -> Field:
    """The first leaf of a (nested) field."""
    while isinstance(value, (Mapping, list, tuple)) and len(value):
        value = next(iter(value.values())) if isinstance(value, Mapping) else value[0]
    return value


def _rows(value: Field, rows: torch.Tensor) -> Field:
    """The rows ``rows`` of every leaf of a collated field."""
    if isinstance(value, Mapping):
        return {k: _rows(v, rows) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rows(v, rows) for v in value]
    return value.index_select(0, rows.to(value.device))  # type: ignore[union-attr]


def collate_field(data_samples: Sequence[DataSample], name: str, device: torch.device,
                  non_blocking: bool = False) -> Field:
    """The batch of field ``name`` for ``data_samples``, in their order (collated now unless
    a preprocessor already did it; see the module docstring).

    Raises:
        MissingFieldError: naming the samples that lack the field.
    """
    missing = [i for i, ds in enumerate(data_samples) if name not in ds]
    if missing:
        raise MissingFieldError(f'data samples {missing[:5]} have no field "{name}"')
    value, row_key = data_samples[0].get(name), f'{name}_row'
    if getattr(_leaf(value), '_eossl_collated', False):
        if any(ds.get(name) is not value for ds in data_samples):
            raise ValueError(f'collate "{name}": the samples come from different collated '
                             'batches; collate each batch on its own')
        rows = [ds.metainfo.get(row_key) for ds in data_samples]
        if rows == list(range(len(_leaf(value)))):
            return value
        return _rows(value, torch.tensor(rows))
    return attach_field(data_samples, name, stack_field([ds.get(name) for ds in data_samples],
                                                        name), device, non_blocking)


def attach_field(data_samples: Sequence[DataSample], name: str, batch: Field,
                 device: torch.device, non_blocking: bool = False) -> Field:
    """Make ``batch`` (a field stacked in row order of ``data_samples``, e.g. by a DataLoader
    worker) the shared field ``name`` of every sample, on ``device``; returns it."""
    batch = to_device(batch, device, non_blocking)
    _mark(batch)
    for row, ds in enumerate(data_samples):
        ds.set_field(batch, name)
        ds.set_metainfo({f'{name}_row': row})
    return batch


def _mark(value: Field) -> None:
    """Flag every leaf tensor as collated, so :func:`collate_field` tells it from a sample's."""
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for v in value:
            _mark(v)
    else:
        value._eossl_collated = True  # type: ignore[union-attr]
