"""Batch-wise aligned views (data preprocessor) equal the per-sample views for the same draws."""
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

from eossl.datasets.worker_collate import collate_in_workers
from eossl.engine.host_syncs import HostSyncCounter
from eossl.registry import MODELS, TRANSFORMS

BANDS = 5
JITTER = dict(type='RandomBandBrightnessContrast', brightness=0.4, contrast=0.4)


def pipeline(batch_augment: bool, crop: dict | None = None) -> list:
    crop = crop or {}
    return [TRANSFORMS.build(cfg) for cfg in (
        dict(type='AlignedMultiViews', num_global=2, num_local=3, batch_augment=batch_augment,
             global_crop=dict(type='EORandomResizedCrop', size=24, scale=(0.4, 1.0), **crop),
             local_crop=dict(type='EORandomResizedCrop', size=16, scale=(0.05, 0.4), **crop),
             flip=dict(type='EORandomFlip', prob=0.5, direction=('horizontal', 'vertical')),
             student_pipeline=[dict(JITTER, prob=0.8)],
             teacher_pipeline=[dict(JITTER, prob=0.3), dict(JITTER, prob=0.5)]),
        dict(type='DisjointMaskGenerator', patch_size=8, num_global=2),
        dict(type='PackEOInputs', algorithm_keys=('disjoint_masks', 'aligned_views')))]


def samples(batch_augment: bool, num: int = 4, crop: dict | None = None,
            nodata: bool = True) -> list[dict]:
    transforms = pipeline(batch_augment, crop)
    rng = np.random.RandomState(0)
    np.random.seed(7)
    out = []
    for i in range(num):
        image = (rng.rand(BANDS, 40, 40) * 1000).astype(np.float32)
        if nodata:
            image[:, :6, :9] = np.nan  # a nodata corner
        results = {'img': image, 'sample_id': str(i)}
        for transform in transforms:
            results = transform(results)
        out.append(results)
    return out


def preprocessor():
    return MODELS.build(dict(type='eossl.EODataPreprocessor', mean=[400.0] * BANDS,
                             std=[250.0] * BANDS, collate_fields=('disjoint_masks',),
                             aligned_views='aligned_views'))


@pytest.mark.parametrize('mode,nodata', [('bilinear', True), ('bicubic', True),
                                         ('nearest', True), ('bicubic', False)])
def test_batch_views_equal_per_sample_views(mode, nodata):
    pre = preprocessor()
    per_sample = pre(pseudo_collate(samples(False, crop=dict(resample=mode), nodata=nodata)),
                     training=True)
    batch = samples(True, crop=dict(resample=mode), nodata=nodata)
    # tiles without a missing pixel take the one-product path (no NaN-aware resampling)
    assert [s['data_samples'].aligned_views['complete'] for s in batch] == [not nodata] * 4
    batched = pre(pseudo_collate(batch), training=True)
    assert len(batched['inputs']) == len(per_sample['inputs']) == 10
    for ours, theirs in zip(batched['inputs'], per_sample['inputs']):
        assert ours.shape == theirs.shape
        torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)
    masks = [out['data_samples'][0].disjoint_masks for out in (batched, per_sample)]
    for name in ('student', 'predict', 'teacher'):
        for a, b in zip(masks[0][name], masks[1][name]):
            assert a.shape[0] == 4 and torch.equal(a, b)
    # the view parameters are consumed by the preprocessor, the index sets stay for the model
    assert set(batched['data_samples'][0].keys()) == {'disjoint_masks'}


@pytest.mark.parametrize('collate', ['preprocessor', 'workers'])
def test_batch_views_make_no_host_sync(collate):
    """Sizes, modes and the no-nodata flag are read from CPU tensors before the device copy;
    nothing in the view cutting reads a device tensor (CPU tensors stand in for it here)."""
    pre = preprocessor()
    batch = samples(True)
    data = (pseudo_collate(batch) if collate == 'preprocessor' else
            collate_in_workers(batch, fields=('disjoint_masks', 'aligned_views')))
    with HostSyncCounter() as syncs:
        out = pre(data, training=True)
    assert syncs.total == 0, syncs.ops
    assert len(out['inputs']) == 10 and not torch.isnan(out['inputs'][0]).any()
    again = pre(data, training=True)  # the caller's batch is left intact (benchmarks reuse it)
    for ours, theirs in zip(again['inputs'], out['inputs']):
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


def test_batch_mode_keeps_the_tile_and_records_the_draws():
    results = samples(True, num=1)[0]
    assert results['inputs'].shape == (BANDS, 40, 40)
    params = results['data_samples'].aligned_views
    assert params['box'].shape == (5, 4) and params['flip'].shape == (5, 2)
    assert params['student'].shape == (5, 1, 2, BANDS)
    assert params['teacher'].shape == (5, 2, 2, BANDS)
    assert params['size'].tolist() == [[24, 24]] * 2 + [[16, 16]] * 3


def test_batch_mode_refuses_photometry_without_a_batch_version():
    with pytest.raises(ValueError, match='no batch-wise version'):
        TRANSFORMS.build(dict(
            type='AlignedMultiViews', num_global=1, num_local=0, batch_augment=True,
            global_crop=dict(type='EORandomResizedCrop', size=8),
            student_pipeline=[dict(type='RandomGaussianBlur')]))


def test_batch_mode_redraws_views_of_mostly_nodata_boxes():
    transform = TRANSFORMS.build(dict(
        type='AlignedMultiViews', num_global=1, num_local=0, batch_augment=True,
        global_crop=dict(type='EORandomResizedCrop', size=8, scale=(0.05, 0.1),
                         min_valid_fraction=0.9)))
    image = np.full((2, 40, 40), np.nan, np.float32)
    image[:, 30:, 30:] = 1.0  # only the bottom-right 10 x 10 is valid
    np.random.seed(0)
    for _ in range(5):
        top, left, h, w = transform({'img': image})['aligned_views']['box'][0]
        assert np.isfinite(image[0, int(top):int(top + h), int(left):int(left + w)]).mean() > 0.5
