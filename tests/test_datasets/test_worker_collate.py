"""collate_in_workers: inputs stacked in their dtype, DataSample fields stacked into tensors in
the worker, then shared by the samples in the data preprocessor as if collated there."""
import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from eossl.datasets.worker_collate import collate_in_workers
from eossl.registry import MODELS


def item(i: int, masks: bool = True) -> dict:
    sample = DataSample()
    if masks:
        sample.set_field({'student': [np.array([i, i + 1])]}, 'disjoint_masks')
    return {'inputs': torch.full((2, 4, 4), i, dtype=torch.uint16), 'data_samples': sample}


def test_fields_are_stacked_in_the_worker_and_attached_by_the_preprocessor():
    batch = collate_in_workers([item(1), item(2)], fields=('disjoint_masks', 'absent'))
    assert batch['inputs'].dtype == torch.uint16 and batch['inputs'].shape == (2, 2, 4, 4)
    stacked = batch['collated']['disjoint_masks']['student'][0]
    assert torch.equal(stacked, torch.tensor([[1, 2], [2, 3]]))
    assert set(batch['collated']) == {'disjoint_masks'}
    pre = MODELS.build(dict(type='eossl.EODataPreprocessor', mean=[0.0, 0.0], std=[1.0, 1.0],
                            collate_fields=('disjoint_masks',)))
    out = pre(batch, training=True)
    samples = out['data_samples']
    assert samples[0].disjoint_masks is samples[1].disjoint_masks  # one shared batch
    assert samples[1].metainfo['disjoint_masks_row'] == 1
    assert torch.equal(samples[0].disjoint_masks['student'][0], stacked)
    assert out['inputs'].dtype == torch.float32 and out['inputs'][1].max() == 2


def test_a_field_only_some_samples_hold_is_an_error():
    with pytest.raises(KeyError, match=r'samples \[1\] have no field "disjoint_masks"'):
        collate_in_workers([item(1), item(2, masks=False)], fields=('disjoint_masks',))
