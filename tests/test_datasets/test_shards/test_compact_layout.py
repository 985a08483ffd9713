"""The compact shard layout: training from it equals training from the GeoTIFF folder (same
samples, same views and index sets for the same seed, within the compact rounding), integers
cross to the data preprocessor, and a mid-epoch resume is still exact."""
from functools import partial

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from eossl.datasets import SSL4EOS12, ShardedDataset
from eossl.datasets.bands import resolve_stats
from eossl.datasets.shards import pack_dataset
from eossl.datasets.worker_collate import collate_in_workers
from eossl.registry import MODELS, TRANSFORMS
from eossl.testing import make_fake_ssl4eo_s12

S2 = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12')
TEN_M = [S2.index(b) for b in ('B2', 'B3', 'B4', 'B8')]
SIZE, PATCH, N = 48, 8, 6
LOADER = dict(type='LoadMultiBandImage', modality='s2', bands=S2, out_key='img',
              target_size=SIZE)
FIELDS = ('disjoint_masks', 'aligned_views')
JITTER = dict(type='RandomBandBrightnessContrast', brightness=0.4, contrast=0.4)


def views_and_masks(batch_augment: bool) -> list[dict]:
    """The PerA recipe's view pipeline at a tiny size."""
    return [
        dict(type='AlignedMultiViews', num_global=2, num_local=2, batch_augment=batch_augment,
             global_crop=dict(type='EORandomResizedCrop', size=32, scale=(0.4, 1.0)),
             local_crop=dict(type='EORandomResizedCrop', size=16, scale=(0.05, 0.4)),
             flip=dict(type='EORandomFlip', prob=0.5, direction=('horizontal', 'vertical')),
             student_pipeline=[dict(JITTER, prob=0.8)],
             teacher_pipeline=[dict(JITTER, prob=0.1)]),
        dict(type='DisjointMaskGenerator', patch_size=PATCH, num_global=2),
        dict(type='PackEOInputs', algorithm_keys=FIELDS, meta_keys=('sample_id',))]


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    """A fake SSL4EO-S12 S2 L1C folder (13 band files per sample at 10 / 20 / 60 m) and its
    compact packing at the recipe's grid."""
    root = tmp_path_factory.mktemp('compact')
    make_fake_ssl4eo_s12(root / 'files', num_locations=N, seasons=1, size=SIZE,
                         modalities=('s2c',))
    files = SSL4EOS12(root / 'files', modality='s2c', seasons='all', pipeline=[])
    index = pack_dataset(files, root / 'packed', samples_per_shard=4, layout='compact',
                         loaders=[LOADER])
    assert index['eossl']['layout'] == 'compact'
    assert index['eossl']['loaders'] == [dict(LOADER, bands=list(S2))]
    return root / 'files', root / 'packed'


def preprocessor():
    return MODELS.build(dict(type='eossl.EODataPreprocessor', stats='ssl4eo_s12:s2_l1c',
                             bands=S2, collate_fields=('disjoint_masks',),
                             aligned_views='aligned_views'))


def file_batch(root) -> dict:
    """The folder through the recipe's per-sample CPU path, in the folder's order."""
    dataset = SSL4EOS12(root, modality='s2c', seasons='all',
                        pipeline=[LOADER, *views_and_masks(False)])
    np.random.seed(3)
    return pseudo_collate([dataset[i] for i in range(N)])


def packed_batch(root, batch_augment: bool = True) -> dict:
    """The compact shards through the integer path: views cut by the preprocessor."""
    dataset = ShardedDataset(root, shuffle=False, pipeline=[
        dict(type='LoadPackedBands', keys='img', bands=S2, to_float=not batch_augment),
        *views_and_masks(batch_augment)])
    np.random.seed(3)
    items = [dataset[i] for i in range(N)]
    return collate_in_workers(items, fields=FIELDS)


def assert_views_equal(ours: list, theirs: list) -> None:
    """Normalized views equal within the existing tolerance (1e-4) plus the compact rounding:
    a resampled (20 / 60 m) band is rounded to whole DN once, at packing (≤ 0.5 DN), which the
    jitter b·μ + a·(x − μ) (a, b ≤ 1.4) can grow to ≤ 2.1 DN; 10 m bands are stored exactly."""
    _, std = resolve_stats('ssl4eo_s12:s2_l1c', S2)
    atol = torch.tensor([2.1 * 0.5 / s + 1e-4 for s in std]).view(1, -1, 1, 1)
    assert len(ours) == len(theirs) == 8
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == torch.float32
        assert ((a - b).abs() <= atol).all()
        torch.testing.assert_close(a[:, TEN_M], b[:, TEN_M], rtol=1e-4, atol=1e-4)


def test_packed_training_inputs_equal_the_folder(data):
    files, packed = data
    ours, theirs = packed_batch(packed), file_batch(files)
    assert ours['inputs'].dtype == torch.uint16 and ours['inputs'].shape == (N, 13, SIZE, SIZE)
    assert [s.sample_id for s in ours['data_samples']] == \
        [s.sample_id for s in theirs['data_samples']]
    assert set(ours['collated']) == set(FIELDS)  # collated in the worker, as tensors
    assert all('disjoint_masks' not in s for s in ours['data_samples'])
    pre = preprocessor()
    ours, theirs = pre(ours, training=True), pre(theirs, training=True)
    assert_views_equal(ours['inputs'], theirs['inputs'])
    for name in ('student', 'predict', 'teacher'):
        for a, b in zip(ours['data_samples'][0].disjoint_masks[name],
                        theirs['data_samples'][0].disjoint_masks[name]):
            assert torch.equal(a, b)


def test_packed_per_sample_path_equals_the_folder(data):
    """The CPU default (views cut in the worker) reads the compact layout too."""
    files, packed = data
    pre = preprocessor()
    ours = pre(packed_batch(packed, batch_augment=False), training=True)
    assert_views_equal(ours['inputs'], pre(file_batch(files), training=True)['inputs'])


def test_one_pera_step_from_packed_equals_the_folder(data):
    files, packed = data
    losses = []
    for batch in (packed_batch(packed), file_batch(files)):
        torch.manual_seed(0)
        model = MODELS.build(dict(
            type='PerA', num_global=2, num_local=2, teacher_temp=0.04,
            data_preprocessor=dict(type='eossl.EODataPreprocessor', stats='ssl4eo_s12:s2_l1c',
                                   bands=S2, collate_fields=('disjoint_masks',),
                                   aligned_views='aligned_views'),
            backbone=dict(type='EOVisionTransformer', arch=dict(embed_dims=32, num_layers=2,
                          num_heads=2), bands=S2, img_size=32, patch_size=PATCH),
            head=dict(type='DINOProjectionHead', in_channels=32, num_prototypes=16,
                      hidden_channels=32, bottleneck_channels=8),
            pixel_head=dict(type='PixelPredictionHead', in_channels=32, patch_size=PATCH,
                            out_channels=13, hidden_channels=32, bottleneck_channels=8)))
        model.init_weights()
        data_ = model.data_preprocessor(batch, True)
        losses.append(model(**data_, mode='loss'))
    assert losses[0].keys() == losses[1].keys()
    for key in losses[0]:
        torch.testing.assert_close(losses[0][key], losses[1][key], rtol=1e-3, atol=1e-4)


def test_mid_epoch_resume_from_compact_shards_is_exact(data):
    _, packed = data
    pipeline = [dict(type='LoadPackedBands', keys='img', to_float=False),
                dict(type='PackEOInputs', meta_keys=('sample_id',))]

    def ids(dataset, workers=2):
        stream = DataLoader(dataset, batch_size=2, num_workers=workers,
                            collate_fn=collate_in_workers)
        return [[s.sample_id for s in b['data_samples']] for b in stream]

    dataset = ShardedDataset(packed, pipeline=pipeline)
    dataset.set_epoch(1, batch_size=2)
    uninterrupted = sum(ids(dataset), [])
    assert len(set(uninterrupted)) == N
    resumed = ShardedDataset(packed, pipeline=pipeline)
    resumed.set_epoch(1, skip=2, batch_size=2)  # one batch consumed before the kill
    assert uninterrupted[:2] + sum(ids(resumed, workers=1), []) == uninterrupted


def test_packed_arrays_keep_the_loader_output(data):
    files, packed = data
    loaded = TRANSFORMS.build(LOADER)(SSL4EOS12(files, modality='s2c', seasons='all',
                                                pipeline=[]).get_data_info(0))
    sample = ShardedDataset(packed, shuffle=False, pipeline=[
        dict(type='LoadPackedBands', keys='img')])[0]
    assert sample['img_bands'] == loaded['img_bands'] and sample['img'].dtype == np.float32
    np.testing.assert_array_equal(sample['img'][TEN_M], loaded['img'][TEN_M])
    assert np.abs(sample['img'] - loaded['img']).max() <= 0.5
    with pytest.raises(Exception, match=r"band\(s\) \['B99'\] of 'img' were not packed"):
        ShardedDataset(packed, shuffle=False, pipeline=[
            dict(type='LoadPackedBands', keys='img', bands=['B99'])])[0]


def _seed_numpy(worker_id: int) -> None:
    np.random.seed(3)


def test_a_worker_batch_equals_the_in_process_batch(data):
    """Batches made in a DataLoader worker — inputs stacked into the worker's reused shared
    memory, fields crossing as one storage — equal the in-process ones bit for bit, both
    while every batch is still held (no buffer may be reused) and when each is dropped
    (buffers reused)."""
    _, packed = data
    dataset = ShardedDataset(packed, shuffle=False, pipeline=[
        dict(type='LoadPackedBands', keys='img', bands=S2, to_float=False),
        *views_and_masks(True)])

    def batches(workers: int):
        np.random.seed(3)
        return DataLoader(dataset, batch_size=1, num_workers=workers,
                          collate_fn=partial(collate_in_workers, fields=FIELDS),
                          worker_init_fn=_seed_numpy)

    def flat(value) -> list:
        if isinstance(value, dict):
            return [x for k in sorted(value) for x in flat(value[k])]
        if isinstance(value, (list, tuple)):
            return [x for v in value for x in flat(v)]
        return [value]

    def assert_equal(ours: dict, theirs: dict) -> None:
        assert ours['inputs'].dtype == torch.uint16 and ours['inputs'].is_shared()
        assert torch.equal(ours['inputs'], theirs['inputs'])
        assert [s.sample_id for s in ours['data_samples']] == \
            [s.sample_id for s in theirs['data_samples']]
        pairs = list(zip(flat(ours['collated']), flat(theirs['collated']), strict=True))
        assert all(a.dtype == b.dtype and torch.equal(a, b) for a, b in pairs)

    expected = list(batches(0))
    assert len(expected) == N
    held = list(batches(1))
    for ours, theirs in zip(held, expected, strict=True):
        assert_equal(ours, theirs)
    del held
    for ours, theirs in zip(batches(1), expected, strict=True):
        assert_equal(ours, theirs)
