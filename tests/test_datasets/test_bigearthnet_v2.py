"""BigEarthNet v2.0 (reBEN): labels and splits from metadata.parquet, S1/S2 pairs, bad input."""
from pathlib import Path

import numpy as np
import pytest

from eossl.datasets import BigEarthNet, BigEarthNetV2, InvalidSampleError
from eossl.datasets.bigearthnet import CLASSES_19
from eossl.datasets.transforms import LoadPairedModalities
from eossl.registry import DATASETS
from eossl.testing import make_fake_bigearthnet, make_fake_bigearthnet_v2
from eossl.testing.bigearthnet_v2 import FLAGGED_METADATA, write_metadata

LABELS = [['Urban fabric'], ['Arable land', 'Coniferous forest'], ['Marine waters'],
          ['Pastures', 'Mixed forest'], ['Inland waters'], ['Beaches, dunes, sands']]


@pytest.fixture
def reben(tmp_path):
    """Six 12 px patches (splits train/validation/test in turn); patch 5 is flagged snowy."""
    rows = make_fake_bigearthnet_v2(tmp_path, num_patches=6, size=12, labels=LABELS,
                                    flagged=(5, ))
    return tmp_path, rows


def _ids(dataset) -> list[str]:
    return [dataset[i]['sample_id'] for i in range(len(dataset))]


def test_layout_matches_the_release(reben):
    root, rows = reben
    row = rows[0]
    tile = row['patch_id'].rsplit('_', 2)[0]
    assert (root / 'BigEarthNet-S2' / tile / row['patch_id'] / f'{row["patch_id"]}_B8A.tif'
            ).is_file()
    product = row['s1_name'].rsplit('_', 3)[0]
    assert (root / 'BigEarthNet-S1' / product / row['s1_name'] / f'{row["s1_name"]}_VH.tif'
            ).is_file()
    assert (root / 'metadata.parquet').is_file() and (root / FLAGGED_METADATA).is_file()


def test_splits_and_labels_come_from_the_metadata(reben):
    root, rows = reben
    for split, expected in (('train', [0, 3]), ('validation', [1, 4]), ('val', [1, 4]),
                            ('test', [2])):
        dataset = DATASETS.build(dict(type='BigEarthNetV2', data_root=str(root), split=split))
        assert _ids(dataset) == [rows[i]['patch_id'] for i in expected], split
        for i, index in enumerate(expected):
            want = sorted(CLASSES_19.index(name) for name in LABELS[index])
            assert dataset[i]['gt_label'] == want
    assert len(BigEarthNetV2(root)) == 5  # the flagged patch is not in metadata.parquet
    with_flagged = BigEarthNetV2(root, exclude_cloudy_snowy=False, split='test')
    assert _ids(with_flagged) == [rows[2]['patch_id'], rows[5]['patch_id']]


def test_s1_s2_pairs_load_on_one_grid(reben):
    root, rows = reben
    dataset = BigEarthNetV2(root, modalities=('s1', 's2'), split='train')
    item = dataset[0]
    assert item['s1_patch'] == rows[0]['s1_name'] and set(item['paths']['s2']) == set(
        ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B11', 'B12'))
    loaded = LoadPairedModalities(dict(s1=dict(bands=['VV', 'VH']), s2=dict(bands=['B4', 'B8A'])),
                                  target_size=12).transform(dict(item))
    assert loaded['s1'].shape == (2, 12, 12) and loaded['s2'].shape == (2, 12, 12)
    assert np.isfinite(loaded['s2']).all()
    only_s1 = BigEarthNetV2(root, modalities=('s1', ))
    assert 's2' not in only_s1[0]['paths']


def test_label_fraction_and_skip_invalid(reben):
    root, rows = reben
    missing = Path(BigEarthNetV2(root)[1]['paths']['s2']['B2'])
    missing.unlink()
    with pytest.raises(InvalidSampleError, match=f'{missing.name} is missing'):
        BigEarthNetV2(root)
    dataset = BigEarthNetV2(root, skip_invalid=True)
    assert len(dataset) == 4 and rows[1]['patch_id'] in dataset.invalid_samples


def test_label_fraction_is_stratified(tmp_path):
    make_fake_bigearthnet_v2(tmp_path, num_patches=6, size=12, splits=['train'] * 6,
                             labels=[['Arable land']] * 5 + [['Arable land', 'Pastures']])
    half = BigEarthNetV2(tmp_path, label_fraction=0.5)
    labels = [half[i]['gt_label'] for i in range(len(half))]
    assert len(labels) == 3 and [CLASSES_19.index('Arable land'),
                                 CLASSES_19.index('Pastures')] in labels


def test_unknown_label_and_bad_metadata_are_named(reben, tmp_path):
    root, rows = reben
    write_metadata(root / 'metadata.parquet', [dict(rows[0], labels=['Not a class'])])
    with pytest.raises(InvalidSampleError, match=r"unknown label\(s\) \['Not a class'\]"):
        BigEarthNetV2(root)
    (root / 'metadata.parquet').write_text('not parquet')
    with pytest.raises(ValueError, match='metadata.parquet: not a readable parquet file'):
        BigEarthNetV2(root)


def test_each_version_says_when_a_folder_is_the_other_one(tmp_path):
    v1, v2 = tmp_path / 'v1', tmp_path / 'v2'
    make_fake_bigearthnet(v1, num_patches=1, size=12)
    make_fake_bigearthnet_v2(v2, num_patches=1, size=12)
    with pytest.raises(FileNotFoundError, match="looks like BigEarthNet v1.0.*type='BigEarthNet'"):
        BigEarthNetV2(v1)
    with pytest.raises(FileNotFoundError,
                       match=r"looks like BigEarthNet v2.0 \(reBEN.*type='BigEarthNetV2'"):
        BigEarthNet(v2)
