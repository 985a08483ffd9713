"""Collation in the DataLoader workers: inputs and per-sample fields become batch tensors there.

With mmengine's ``pseudo_collate`` / ``default_collate`` a DataSample field such as PerA's
``disjoint_masks`` (per sample a dict of numpy index arrays) or MP-MAE's pretext targets travels
from each worker as pickled numpy, and the main process stacks, pins and copies it. Here the
worker stacks it into ``(B, ...)`` tensors, which cross to the main process in shared memory and
are pinned by the DataLoader's pin-memory thread like the inputs; the data preprocessor then
only moves them (:func:`eossl.models.data_preprocessors.sample_fields.attach_field`).
"""
from collections.abc import Mapping, Sequence
from typing import TypeAlias

import numpy as np
import torch
from mmengine.dataset import default_collate
from torch.utils.data import get_worker_info

from eossl.registry import FUNCTIONS

from .shared_batches import CAPACITY, OneStorageBatch, batch_memory, copy_into

Field: TypeAlias = torch.Tensor | np.ndarray | Mapping | Sequence


def stack_field(values: list, name: str) -> Field:
    """Stack the per-sample ``values`` of one (nested) field into CPU tensors ``(B, ...)``,
    recursing into dicts / lists (also what the data preprocessor runs, in
    :func:`eossl.models.data_preprocessors.sample_fields.collate_field`)."""
    first = values[0]
    if isinstance(first, Mapping):
        return {k: stack_field([v[k] for v in values], f'{name}.{k}') for k in first}
    if isinstance(first, (list, tuple)):
        if any(len(v) != len(first) for v in values):
            raise ValueError(f'collate "{name}": samples hold lists of different lengths '
                             f'{sorted({len(v) for v in values})}')
        return [stack_field([v[i] for v in values], f'{name}[{i}]') for i in range(len(first))]
    shapes = {tuple(np.shape(v)) for v in values}
    if len(shapes) != 1:
        raise ValueError(f'collate "{name}": samples must share one shape to form a batch, '
                         f'got {sorted(shapes)}')
    return (torch.stack([torch.as_tensor(v) for v in values]) if isinstance(first, torch.Tensor)
            else torch.from_numpy(np.stack(values)))


def _stackable_inputs(items: list) -> list[torch.Tensor] | None:
    """The items' ``inputs`` when they are dense CPU tensors of one shape and dtype (stacked
    into ``(B, ...)``), else None (left to ``default_collate``)."""
    if not all(isinstance(item, Mapping) and isinstance(item.get('inputs'), torch.Tensor)
               for item in items):
        return None
    inputs = [item['inputs'] for item in items]
    first = inputs[0]
    if any(t.device.type != 'cpu' or t.layout != torch.strided or t.is_nested
           or t.dtype != first.dtype or t.shape != first.shape for t in inputs):
        return None
    return inputs


def _in_one_storage(batch: dict, inputs: list[torch.Tensor] | None, collated: dict,
                    reused_batches: int) -> OneStorageBatch:
    """``batch`` with the stacked ``inputs`` (if any) and the ``collated`` fields written into
    one piece of shared memory of this worker (:func:`batch_memory`)."""
    shapes: dict = {}
    if inputs is not None:
        first = inputs[0]
        shapes['inputs'] = torch.empty((len(inputs), *first.shape), dtype=first.dtype,
                                       device='meta')
    if collated:
        shapes['collated'] = collated

    def write(views: dict) -> None:
        if inputs is not None:
            torch.stack(inputs, out=views['inputs'])
        if collated:
            copy_into(views['collated'], collated)

    return OneStorageBatch(shapes, write, lambda n: batch_memory(n, reused_batches),
                           {k: v for k, v in batch.items() if k not in shapes})


@FUNCTIONS.register_module()
def collate_in_workers(data_batch: Sequence[dict], fields: Sequence[str] = (),
                       reused_batches: int = CAPACITY) -> dict:
    """mmengine's ``default_collate`` of ``{'inputs', 'data_samples'}`` items (inputs of one
    shape stacked into ``(B, C, H, W)`` tensors in their dtype — in shared memory inside a
    worker), plus ``batch['collated'] = {field: (B, ...) tensors}`` for each of ``fields`` that
    the samples hold (removed from the samples). Recipes name it
    ``collate_fn=dict(type='eossl.collate_in_workers', fields=(...))``.

    Inside a DataLoader worker the whole batch's tensors, inputs and fields, are written into
    one piece of shared memory and cross to the training process as that one storage
    (:class:`~eossl.datasets.shared_batches.OneStorageBatch`: one file descriptor per batch
    instead of one per tensor), memory the worker reuses once the kernel proves that no earlier
    batch in it is still seen anywhere
    (:class:`~eossl.datasets.shared_batches.SharedBatchPool`: no ~450 page faults per 1.8 MB
    PerA tile); the batch is the same, bit for bit, as outside a worker.

    Args:
        data_batch: the samples of one batch.
        fields: sample fields stacked into ``batch['collated']``.
        reused_batches: shared-memory batch buffers each worker keeps and reuses (eossl's
            option; memory: this many batches per worker for the worker's life, e.g.
            5 × 64 × 1.8 MB ≈ 580 MB for PerA's packed tiles; between 4 and 5 the worker ran
            ahead of its buffers now and then). ``0``: new shared memory for every batch, as
            torch's own collate (~450 page faults per 1.8 MB tile), still one storage.

    Raises:
        KeyError: a field that some samples hold and others do not (naming them).
    """
    items = list(data_batch)
    inputs = _stackable_inputs(items)
    batch = default_collate(items if inputs is None else
                            [{k: v for k, v in item.items() if k != 'inputs'} for item in items])
    samples = batch['data_samples']
    collated = {}
    for name in fields:
        present = [i for i, sample in enumerate(samples) if name in sample]
        if not present:
            continue
        if len(present) != len(samples):
            missing = sorted(set(range(len(samples))) - set(present))
            raise KeyError(f'collate_in_workers: samples {missing[:5]} have no field "{name}" '
                           'that the others hold')
        collated[name] = stack_field([sample.get(name) for sample in samples], name)
        for sample in samples:
            sample.pop(name)
    if get_worker_info() is not None and (inputs is not None or collated):
        return _in_one_storage(batch, inputs, collated, reused_batches)
    if inputs is not None:
        batch = {'inputs': torch.stack(inputs), **batch}
    if collated:
        batch['collated'] = collated
    return batch
