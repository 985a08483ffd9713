"""Per-sample DataSample fields collated once per batch by the data preprocessor."""
import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from eossl.models.data_preprocessors.sample_fields import collate_field
from eossl.registry import MODELS


def sample(i: int) -> DataSample:
    sets = {'student': [np.array([i, i + 1]), np.array([i])], 'teacher': [np.arange(3) + i,
                                                                          np.array([7])]}
    data_sample = DataSample()
    data_sample.set_field(sets, 'disjoint_masks')
    return data_sample


def test_preprocessor_collates_nested_index_sets_once_and_shares_them():
    pre = MODELS.build(dict(type='eossl.EODataPreprocessor', mean=[0.0], std=[1.0],
                            collate_fields=('disjoint_masks',)))
    samples = [sample(i) for i in range(3)]
    out = pre({'inputs': [torch.zeros(1, 4, 4)] * 3, 'data_samples': samples}, training=True)
    masks = out['data_samples'][0].disjoint_masks
    assert torch.equal(masks['student'][0], torch.tensor([[0, 1], [1, 2], [2, 3]]))
    assert masks['teacher'][1].shape == (3, 1) and masks['teacher'][0].dtype == torch.int64
    assert all(ds.disjoint_masks is masks for ds in out['data_samples'])
    # a model asking again gets the same batch back, nothing is stacked a second time
    assert collate_field(out['data_samples'], 'disjoint_masks', torch.device('cpu')) is masks


def test_a_subset_of_collated_samples_gets_its_own_rows():
    samples = [sample(i) for i in range(4)]
    collate_field(samples, 'disjoint_masks', torch.device('cpu'))
    half = collate_field(samples[3:1:-1], 'disjoint_masks', torch.device('cpu'))  # rows 3, 2
    assert torch.equal(half['student'][0], torch.tensor([[3, 4], [2, 3]]))
    assert torch.equal(half['teacher'][0], torch.tensor([[3, 4, 5], [2, 3, 4]]))
    other = [sample(9)]
    collate_field(other, 'disjoint_masks', torch.device('cpu'))
    with pytest.raises(ValueError, match='different collated batches'):
        collate_field([samples[0], other[0]], 'disjoint_masks', torch.device('cpu'))


def test_mismatched_samples_are_reported_with_the_field_path():
    samples = [sample(0), sample(1)]
    samples[1].disjoint_masks['student'][0] = np.array([1, 2, 3])
    with pytest.raises(ValueError, match=r'disjoint_masks\.student\[0\].*one shape'):
        collate_field(samples, 'disjoint_masks', torch.device('cpu'))
    with pytest.raises(KeyError, match='no field "targets"'):
        collate_field(samples, 'targets', torch.device('cpu'))


def test_inference_batches_without_the_pretraining_fields_pass_training_ones_are_refused():
    pre = MODELS.build(dict(type='eossl.EODataPreprocessor', mean=[0.0], std=[2.0],
                            collate_fields=('disjoint_masks',)))
    bare = [DataSample(metainfo=dict(sample_id=f's{i}')) for i in range(2)]
    out = pre({'inputs': [torch.ones(1, 4, 4)] * 2, 'data_samples': bare}, training=False)
    assert torch.equal(out['inputs'], torch.full((2, 1, 4, 4), 0.5))  # features can be taken
    assert 'disjoint_masks' not in out['data_samples'][0]
    with pytest.raises(KeyError, match=r"collate_fields=.disjoint_masks.\): the training batch "
                       r"samples \[.s0., .s1.\] have no field .disjoint_masks. \(2 of 2"):
        pre({'inputs': [torch.ones(1, 4, 4)] * 2, 'data_samples': bare}, training=True)
    mixed = [sample(0), bare[1]]  # some with, some without: never half a batch of masks
    with pytest.raises(KeyError, match=r"samples \[.s1.\] have no field .* \(1 of 2 samples\)"):
        pre({'inputs': [torch.ones(1, 4, 4)] * 2, 'data_samples': mixed}, training=False)
