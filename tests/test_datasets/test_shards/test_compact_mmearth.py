"""MMEarth in the compact layout: the MP-MAE input and every pretext target in one record,
decoded by the unchanged LoadMMEarthSample to what it reads from the h5 file; targets collated
in the workers as tensors."""
import numpy as np
import pytest
import torch

from eossl.datasets import MMEarth, ShardedDataset
from eossl.datasets.mmearth_layout import MODALITIES
from eossl.datasets.shards import pack_dataset
from eossl.datasets.worker_collate import collate_in_workers
from eossl.testing import make_fake_mmearth

LOADER = dict(type='eossl.LoadMMEarthSample', modalities=list(MODALITIES))


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('mmearth')
    folder = make_fake_mmearth(root / 'h5', num_samples=6, size=16)
    dataset = MMEarth(folder, split='train', pipeline=[LOADER])
    index = pack_dataset(MMEarth(folder, split='train'), root / 'packed', samples_per_shard=2,
                         layout='compact', loaders=[LOADER])
    assert 'sentinel1' in index['eossl']['shared_fields']['band_stats']  # stored once
    return dataset, ShardedDataset(root / 'packed', shuffle=False, pipeline=[LOADER])


def test_packed_rows_decode_to_the_h5_values(data):
    files, packed = data
    assert len(packed) == len(files) == 4
    for i in range(len(files)):
        ours, theirs = packed[i], files[i]
        assert ours['sample_id'] == theirs['sample_id']
        for name in MODALITIES:
            a, b = np.asarray(ours[name]), np.asarray(theirs[name])
            assert a.dtype == b.dtype and a.shape == b.shape, name
            if name == 'sentinel1':  # float16 dB: ≤ 0.008 dB, z-scored by std ≈ 4
                np.testing.assert_allclose(a, b, atol=0.01, equal_nan=True)
            else:  # every other modality is stored in its own dtype, losslessly
                np.testing.assert_array_equal(a, b)


def test_targets_are_collated_in_the_worker_as_tensors(data):
    _, packed = data
    pipeline = [dict(type='eossl.EORandomCrop', size=8, keys=('sentinel2', 'sentinel1')),
                dict(type='eossl.PackEOInputs', keys='sentinel2',
                     algorithm_keys=('sentinel1', 'biome', 'lat'))]
    stream = ShardedDataset(packed.data_root, shuffle=False, pipeline=[LOADER, *pipeline])
    batch = collate_in_workers([stream[i] for i in range(3)],
                               fields=('sentinel1', 'biome', 'lat'))
    targets = batch['collated']
    assert targets['sentinel1'].shape == (3, 8, 8, 8) and targets['biome'].shape == (3, )
    assert targets['lat'].dtype == torch.float32 and targets['biome'].dtype == torch.int64
    assert all('sentinel1' not in s for s in batch['data_samples'])
