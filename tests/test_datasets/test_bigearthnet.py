"""BigEarthNet v1.0: the six real example pairs, the official lists, and every bad input."""
import bz2
import json
import subprocess
import sys
from pathlib import Path

import pytest
import rasterio
from bigearthnet_common.constants import OLD_LABELS_ORIGINAL_ORDER

from eossl.datasets import BigEarthNet, InvalidSampleError
from eossl.registry import DATASETS
from eossl.testing import make_fake_bigearthnet

EXAMPLE_ROOTS = dict(s2_root='BigEarthNet-S2-Example', s1_root='BigEarthNet-S1-Example')
# in the official train split (4), test split (1) and on the seasonal-snow list (1)
TRAIN = {'S2A_MSIL2A_20170617T113321_36_85', 'S2A_MSIL2A_20170617T113321_4_55',
         'S2A_MSIL2A_20171221T112501_56_35', 'S2B_MSIL2A_20170924T93020_69_24'}
TEST = 'S2A_MSIL2A_20170613T101031_87_48'
SNOWY = 'S2B_MSIL2A_20180204T94161_57_38'
# patches on no official list, so nothing of the fake data is excluded
FAKE = dict(s2_root='BigEarthNet-v1.0', s1_root='BigEarthNet-S1-v1.0')


def items(dataset):
    return {dataset[i]['sample_id']: dataset[i] for i in range(len(dataset))}


def build(root, **kwargs):
    return BigEarthNet(root, **{**FAKE, **kwargs})


@pytest.fixture
def fake(tmp_path):
    """Three fake pairs with known labels (12×12 px) and the ``{S2: S1}`` name mapping."""
    labels = [['Pastures'], ['Non-irrigated arable land', 'Coniferous forest'],
              ['Mixed forest', 'Sea and ocean']]
    pairs = make_fake_bigearthnet(tmp_path, num_patches=3, size=12, labels=labels)
    return tmp_path, pairs, dict(zip(pairs, labels))


def test_real_example_pairs_and_hand_checked_labels(bigearthnet_example):
    dataset = BigEarthNet(bigearthnet_example, modalities=('s1', 's2'),
                          exclude_cloudy_snowy=False, **EXAMPLE_ROOTS)
    by_id = items(dataset)
    s2_dirs = sorted(p.name for p in (bigearthnet_example / 'BigEarthNet-S2-Example').iterdir())
    assert sorted(by_id) == s2_dirs and len(by_id) == 6
    for item in by_id.values():
        s1_json = Path(item['paths']['s1']['VV']).with_name(
            f"{item['s1_patch']}_labels_metadata.json")
        assert json.loads(s1_json.read_text())['corresponding_s2_patch'] == item['sample_id']
        assert list(item['paths']['s2']) == ['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8',
                                             'B8A', 'B9', 'B11', 'B12']
        assert all(Path(p).is_file() for mod in ('s1', 's2') for p in item['paths'][mod].values())
    assert by_id[TEST]['paths']['s2']['B1'].endswith(f'{TEST}/{TEST}_B01.tif')
    # S2B_..._69_24.json lists: Coniferous forest, Mixed forest, Transitional woodland/shrub,
    # Peatbogs (-> Inland wetlands), Water bodies (-> Inland waters)
    classes = dataset.metainfo['classes']
    assert [classes[i] for i in by_id['S2B_MSIL2A_20170924T93020_69_24']['gt_label']] == [
        'Coniferous forest', 'Mixed forest', 'Transitional woodland, shrub', 'Inland wetlands',
        'Inland waters']
    assert by_id[TEST]['gt_label'] == [2, 6]  # Arable land; Land principally occupied by agri..


def test_real_example_43_classes_and_s1_only(bigearthnet_example):
    dataset = BigEarthNet(bigearthnet_example, modalities=('s1', ), num_classes=43,
                          exclude_cloudy_snowy=False, **EXAMPLE_ROOTS)
    assert len(dataset.metainfo['classes']) == 43
    for sample_id, item in items(dataset).items():
        assert set(item['paths']) == {'s1'}
        labels = json.loads((bigearthnet_example / 'BigEarthNet-S2-Example' / sample_id /
                             f'{sample_id}_labels_metadata.json').read_text())['labels']
        assert [dataset.metainfo['classes'][i] for i in item['gt_label']] == labels


@pytest.mark.parametrize('split, expected', [('train', TRAIN), ('test', {TEST}),
                                             (None, TRAIN | {TEST})])
def test_official_splits_and_snow_exclusion(bigearthnet_example, split, expected):
    dataset = BigEarthNet(bigearthnet_example, split=split, **EXAMPLE_ROOTS)
    assert set(items(dataset)) == expected


def test_official_split_with_no_patch_on_disk(bigearthnet_example):
    with pytest.raises(FileNotFoundError, match='no patch left.*split: val; 0 selected'):
        BigEarthNet(bigearthnet_example, split='val', **EXAMPLE_ROOTS)


def test_fake_data_round_trip_and_registry(fake):
    root, pairs, labels = fake
    dataset = DATASETS.build(dict(type='BigEarthNet', data_root=str(root),
                                  modalities=('s2', 's1'), num_classes=43, **FAKE))
    by_id = items(dataset)
    assert set(by_id) == set(pairs)
    for sample_id, item in by_id.items():
        assert item['s1_patch'] == pairs[sample_id]
        assert [OLD_LABELS_ORIGINAL_ORDER[i] for i in item['gt_label']] == labels[sample_id]


def test_missing_band_file(fake):
    root, pairs, _ = fake
    broken = sorted(pairs)[1]
    band_file = root / FAKE['s2_root'] / broken / f'{broken}_B8A.tif'
    band_file.unlink()
    with pytest.raises(InvalidSampleError, match=f'{band_file}? is missing'):
        build(root)
    dataset = build(root, skip_invalid=True)
    assert len(dataset) == 2 and list(dataset.invalid_samples) == [broken]


def test_missing_s1_twin(fake):
    root, pairs, _ = fake
    broken = sorted(pairs)[0]
    for file in (root / FAKE['s1_root'] / pairs[broken]).iterdir():
        file.unlink()
    (root / FAKE['s1_root'] / pairs[broken]).rmdir()
    assert len(build(root)) == 3  # S2 alone does not need the twin
    with pytest.raises(InvalidSampleError, match=f'{broken}: no S1 patch .*missing S1 twin'):
        build(root, modalities=('s1', 's2'))
    dataset = build(root, modalities=('s1', 's2'), skip_invalid=True)
    assert len(dataset) == 2 and list(dataset.invalid_samples) == [broken]


def test_mismatching_pair(fake):
    root, pairs, _ = fake
    s2_name = sorted(pairs)[0]
    s1_json = root / FAKE['s1_root'] / pairs[s2_name] / f'{pairs[s2_name]}_labels_metadata.json'
    meta = json.loads(s1_json.read_text())
    meta['corresponding_s2_patch'] = 'S2A_MSIL2A_20170101T101010_1_1'
    s1_json.write_text(json.dumps(meta))
    with pytest.raises(InvalidSampleError, match='S2A_MSIL2A_20170101T101010_1_1 is missing '
                       f'although S1 patch {pairs[s2_name]}.*mismatching pair'):
        build(root, modalities=('s1', 's2'))
    dataset = build(root, modalities=('s1', 's2'), skip_invalid=True)
    assert len(dataset) == 2
    assert set(dataset.invalid_samples) == {'S2A_MSIL2A_20170101T101010_1_1', s2_name}


@pytest.mark.parametrize('content, message', [
    ('{"labels": ["Pastures"', 'cannot read the labels JSON'),
    ('{"coordinates": {}}', 'expected a JSON object with a "labels" list'),
    ('{"labels": [["Pastures"]]}', 'expected a JSON object with a "labels" list'),
    ('{"labels": ["Pastures", "Lava fields"]}', r"unknown CORINE label\(s\) \['Lava fields'\]"),
])
def test_bad_labels_json(fake, content, message):
    root, pairs, _ = fake
    name = sorted(pairs)[2]
    json_path = root / FAKE['s2_root'] / name / f'{name}_labels_metadata.json'
    json_path.write_text(content)
    with pytest.raises(InvalidSampleError, match=message):
        build(root)
    assert json_path.name in str(build(root, skip_invalid=True).invalid_samples[name])


def test_split_file(fake):
    root, pairs, _ = fake
    names = sorted(pairs)
    (root / 'mine.csv').write_text(f'{names[2]}\n{names[0]},{pairs[names[0]]}\n{names[2]}\n')
    dataset = build(root, split_file='mine.csv', modalities=('s1', ))
    assert [dataset[i]['sample_id'] for i in range(len(dataset))] == [names[2], names[0]]
    (root / 'mine.csv.bz2').write_bytes(bz2.compress(f'{names[1]}\n'.encode()))
    assert items(build(root, split_file=root / 'mine.csv.bz2')).keys() == {names[1]}


def test_split_file_with_unknown_patch_or_corrupt(fake):
    root, pairs, _ = fake
    names = sorted(pairs)
    (root / 'split.csv').write_text(f'{names[0]}\n{names[1]}\nS2A_MSIL2A_20990101T1_0_0\n')
    with pytest.raises(InvalidSampleError, match="line 3: patch 'S2A_MSIL2A_20990101T1_0_0' is "
                       'not found'):
        build(root, split_file='split.csv')
    dataset = build(root, split_file='split.csv', skip_invalid=True)
    assert len(dataset) == 2 and list(dataset.invalid_samples) == ['S2A_MSIL2A_20990101T1_0_0']
    (root / 'corrupt.csv').write_bytes(b'\xff\xd8\xff\xe0 JFIF')
    with pytest.raises(ValueError, match='corrupt.csv is not a UTF-8'):
        build(root, split_file='corrupt.csv')
    (root / 'empty.csv').write_text('\n')
    with pytest.raises(ValueError, match='lists no sample name'):
        build(root, split_file='empty.csv')


def test_corrupt_patch_is_harmless_when_excluded(tmp_path):
    make_fake_bigearthnet(tmp_path, size=6, patch_names=[SNOWY, 'S2A_MSIL2A_20170101T91010_1_1'])
    (tmp_path / FAKE['s2_root'] / SNOWY / f'{SNOWY}_B02.tif').unlink()
    dataset = build(tmp_path)
    assert list(items(dataset)) == ['S2A_MSIL2A_20170101T91010_1_1']
    assert dataset.invalid_samples == {}
    with pytest.raises(InvalidSampleError, match=f'{SNOWY}_B02.tif is missing'):
        build(tmp_path, exclude_cloudy_snowy=False)


def test_patches_without_19_class_label(tmp_path):
    airport, pasture = make_fake_bigearthnet(tmp_path, size=6, num_patches=2,
                                             labels=[['Airports'], ['Pastures']])
    assert list(items(build(tmp_path))) == [pasture]
    assert items(build(tmp_path, keep_unlabeled=True))[airport]['gt_label'] == []
    assert items(build(tmp_path, num_classes=43))[airport]['gt_label'] == [
        OLD_LABELS_ORIGINAL_ORDER.index('Airports')]


def test_missing_or_empty_trees(tmp_path):
    with pytest.raises(FileNotFoundError, match='S2 tree .*BigEarthNet-v1.0 does not exist'):
        build(tmp_path)
    (tmp_path / FAKE['s2_root']).mkdir()
    with pytest.raises(FileNotFoundError, match='no patch left under .*BigEarthNet-v1.0'):
        build(tmp_path)
    with pytest.raises(FileNotFoundError, match='S1 tree'):
        build(tmp_path, modalities=('s1', 's2'))


@pytest.mark.parametrize('kwargs', [dict(modalities=('s3', )), dict(modalities=()),
                                    dict(split='training'), dict(num_classes=10),
                                    dict(split='train', split_file='x.csv')])
def test_bad_arguments(tmp_path, kwargs):
    with pytest.raises(ValueError, match='BigEarthNet'):
        build(tmp_path, **kwargs)


def test_end_to_end_with_the_loader(bigearthnet_example):
    """Runs once ``eossl.datasets.transforms.loading`` exists (written in parallel)."""
    loading = pytest.importorskip('eossl.datasets.transforms.loading')
    pipeline = [loading.LoadMultiBandImage(modality='s2', target_size=120),
                loading.LoadMultiBandImage(modality='s1', out_key='s1')]
    dataset = BigEarthNet(bigearthnet_example, modalities=('s1', 's2'), split='test',
                          pipeline=pipeline, **EXAMPLE_ROOTS)
    sample = dataset[0]
    assert sample['img'].shape == (12, 120, 120) and sample['s1'].shape == (2, 120, 120)
    assert sample['img_bands'][-3:] == ('B9', 'B11', 'B12')


def test_generator_is_seeded_and_georeferenced(tmp_path):
    first = make_fake_bigearthnet(tmp_path / 'a', num_patches=2, size=12, seed=3)
    assert make_fake_bigearthnet(tmp_path / 'b', num_patches=2, size=12, seed=3) == first
    assert make_fake_bigearthnet(tmp_path / 'c', num_patches=2, size=12, seed=4) != first
    s2_name, s1_name = next(iter(first.items()))
    folder = tmp_path / 'a' / FAKE['s2_root'] / s2_name
    bounds = set()
    for band, side in (('B02', 12), ('B05', 6), ('B09', 2)):
        with rasterio.open(folder / f'{s2_name}_{band}.tif') as src:
            assert src.shape == (side, side) and src.dtypes[0] == 'uint16'
            assert src.crs.to_epsg() in range(32629, 32636)
            bounds.add(tuple(src.bounds))
    assert len(bounds) == 1  # every resolution covers the same 120 m x 120 m patch
    s1_meta = json.loads((tmp_path / 'a' / FAKE['s1_root'] / s1_name /
                          f'{s1_name}_labels_metadata.json').read_text())
    assert set(s1_meta['coordinates']) == {'ulx', 'uly', 'lrx', 'lly'}  # as the real S1 JSONs


def test_generator_command_line(tmp_path):
    subprocess.run([sys.executable, '-m', 'eossl.testing.bigearthnet', str(tmp_path),
                    '--num-patches', '2', '--size', '6'], check=True, capture_output=True)
    assert len(BigEarthNet(tmp_path, modalities=('s1', 's2'), **FAKE)) == 2
