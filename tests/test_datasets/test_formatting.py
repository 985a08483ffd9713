"""PackEOInputs: tensors, views and modality dicts, labels and metainfo; MultiView integration."""
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from eossl.datasets.transforms import PackEOInputs
from eossl.registry import TRANSFORMS


def test_single_key_packs_a_channel_first_tensor():
    image = np.random.default_rng(0).random((13, 4, 5)).astype(np.float32)
    flipped = image[:, ::-1]  # a negative-stride view, as flips produce
    packed = PackEOInputs()({'img': flipped, 'sample_id': 'p1', 'img_bands': ('B1',) * 13,
                             'gt_label': [2, 5], 'unrelated': 1})
    inputs, sample = packed['inputs'], packed['data_samples']
    assert isinstance(inputs, torch.Tensor) and inputs.shape == (13, 4, 5)
    assert inputs.dtype == torch.float32
    np.testing.assert_array_equal(inputs.numpy(), flipped)
    assert isinstance(sample, DataSample)
    assert sample.gt_label.tolist() == [2, 5]
    assert sample.sample_id == 'p1' and len(sample.img_bands) == 13
    assert 'unrelated' not in sample.metainfo_keys()


def test_several_keys_pack_a_dict_and_views_a_list():
    s1 = np.zeros((2, 4, 4), np.float32)
    views = [np.ones((12, 4, 4), np.float32), np.full((12, 2, 2), 2, np.float32)]
    packed = PackEOInputs(keys=('s1', 's2'), algorithm_keys=('mask',))(
        {'s1': s1, 's2': views, 'mask': np.ones(3, bool)})
    inputs = packed['inputs']
    assert set(inputs) == {'s1', 's2'} and inputs['s1'].shape == (2, 4, 4)
    assert [v.shape for v in inputs['s2']] == [(12, 4, 4), (12, 2, 2)]
    assert packed['data_samples'].mask.shape == (3,)
    assert 'gt_label' not in packed['data_samples']


def test_missing_key_names_the_sample():
    with pytest.raises(KeyError, match="'p9'.*'s2'"):
        PackEOInputs(keys='s2')({'img': np.zeros((1, 2, 2)), 'sample_id': 'p9'})


def test_mmpretrain_multiview_with_eossl_transforms():
    view = [dict(type='EORandomResizedCrop', size=8, scale=(0.3, 1.0)),
            dict(type='EORandomFlip'),
            dict(type='RandomBandBrightnessContrast', prob=1.0),
            dict(type='RandomGaussianBlur', prob=0.5)]
    with DefaultScope.overwrite_default_scope('eossl'):
        pipeline = [TRANSFORMS.build(dict(type='mmpretrain.MultiView', num_views=[2, 1],
                                          transforms=[view, [dict(type='EOResize', size=4)]])),
                    TRANSFORMS.build(dict(type='PackEOInputs'))]
    results = {'img': np.random.default_rng(1).random((13, 16, 16)).astype(np.float32),
               'sample_id': 'x'}
    np.random.seed(0)
    for transform in pipeline:
        results = transform(results)
    views = results['inputs']
    assert isinstance(views, list) and [tuple(v.shape) for v in views] == [(13, 8, 8),
                                                                          (13, 8, 8),
                                                                          (13, 4, 4)]
    assert not torch.equal(views[0], views[1])  # independent random draws per view
    assert results['data_samples'].sample_id == 'x'
