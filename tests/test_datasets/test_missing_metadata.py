"""Datasets whose metadata lacks an expected field, holds a wrong type or an unknown value, or is
empty stop with the file and the field named, not with a bare error deep in a stack (numpy's
``ValueError: no field of name tile_id``) or a silently emptied or relabelled index."""
import json
import re

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eossl.datasets import SSL4EOS12, BigEarthNetV2, InvalidSampleError, MMEarth, SceneWindows
from eossl.testing import make_fake_bigearthnet_v2, make_fake_mmearth, make_fake_ssl4eo_s12
from eossl.testing.bigearthnet_v2 import FLAGGED_METADATA


def test_mmearth_metadata_without_tile_id_names_file_and_field(tmp_path):
    root = make_fake_mmearth(tmp_path, num_samples=4, size=8)
    h5_file = next(root.glob('data_*.h5'))
    with h5py.File(h5_file, 'r+') as h5:
        del h5['metadata']
        h5.create_dataset('metadata', data=np.array([(b'a',)] * 4, dtype=[('tile', 'S10')]))
    with pytest.raises(ValueError, match=rf'{h5_file}: the "metadata" dataset has no "tile_id" '
                                       r"field \(fields: \['tile'\]\)"):
        MMEarth(root, split='train')


def test_mmearth_tile_info_without_s2_type_names_the_field(tmp_path):
    root = make_fake_mmearth(tmp_path, num_samples=4, size=8, s2_type_in_metadata=False)
    info_file = next(root.glob('*_tile_info.json'))
    info = json.loads(info_file.read_text())
    for tile in info.values():
        del tile['S2_type']
    info_file.write_text(json.dumps(info))
    with pytest.raises(ValueError, match=r'tile info JSON in .* has no "S2_type" field for tiles'):
        MMEarth(root, split='train')


@pytest.fixture(scope='module')
def reben(tmp_path_factory):
    """Three 6 px reBEN patches and their metadata table (written elsewhere by each test)."""
    root = tmp_path_factory.mktemp('reben')
    make_fake_bigearthnet_v2(root, num_patches=3, size=6)
    return root, pq.read_table(root / 'metadata.parquet')


def _replaced(table, column: str, values, kind=None):
    """``table`` with ``column`` replaced by ``values`` (as arrow type ``kind``)."""
    return table.set_column(table.schema.get_field_index(column), column,
                            pa.array(values, kind))


REBEN_FAULTS = {
    'flag as text': (lambda t: _replaced(t, 'contains_seasonal_snow', ['False'] * 3),
                     r'column "contains_seasonal_snow" has type string, expected bool'),
    'labels as text': (lambda t: _replaced(t, 'labels', ['Urban fabric'] * 3),
                       r'column "labels" has type string, expected list<string>'),
    'null labels': (lambda t: _replaced(t, 'labels', [['Urban fabric'], None, None],
                                        pa.list_(pa.string())),
                    r'column "labels" is null in 2 row\(s\) \(first at row index 1\); expected '
                    r'a list<string> in every row'),
    'null patch_id': (lambda t: _replaced(t, 'patch_id', [None, 'a', 'b'], pa.string()),
                      r'column "patch_id" is null in 1 row\(s\) \(first at row index 0\)'),
    'unknown split': (lambda t: _replaced(t, 'split', ['val', 'train', 'test']),
                      r'''column "split" holds \['val'\]; expected only \['test', 'train', '''
                      r"'validation'\]"),
    'no row': (lambda t: t.slice(0, 0), r'the metadata file has no row'),
}


@pytest.mark.parametrize('fault', list(REBEN_FAULTS))
def test_bigearthnet_v2_metadata_fault_names_file_and_column(reben, tmp_path, fault):
    root, table = reben
    change, message = REBEN_FAULTS[fault]
    metadata = tmp_path / 'metadata.parquet'
    pq.write_table(change(table), metadata)
    with pytest.raises(ValueError, match=re.escape(str(metadata)) + ': ' + message):
        BigEarthNetV2(root, metadata=metadata)


def test_bigearthnet_v2_error_names_the_flagged_file_its_row_came_from(reben, tmp_path):
    root, table = reben
    pq.write_table(table.slice(1), tmp_path / 'metadata.parquet')
    flagged = tmp_path / FLAGGED_METADATA
    pq.write_table(_replaced(table.slice(0, 1), 'labels', [['Not a class']],
                                     pa.list_(pa.string())), flagged)
    with pytest.raises(InvalidSampleError, match=re.escape(str(flagged)) + r': patch .* unknown '
                       r"label\(s\) \['Not a class'\]"):
        BigEarthNetV2(root, metadata=tmp_path / 'metadata.parquet', exclude_cloudy_snowy=False)


@pytest.fixture(scope='module')
def ssl4eo(tmp_path_factory):
    """Three SSL4EO-S12 locations of one 6 px S2 L1C season each, and their labels."""
    root = tmp_path_factory.mktemp('ssl4eo')
    out = make_fake_ssl4eo_s12(root, num_locations=3, seasons=1, size=6, modalities=('s2c',))
    return root, out['locations'], json.loads(out['labels_file'].read_text())


SSL4EO_FAULTS = {
    'empty file': (lambda labels, locations: '',
                   r'labels_file {file} is not valid JSON \(Expecting value'),
    'location not an object': (
        lambda labels, locations: json.dumps(dict(labels, **{locations[0]: ['1']})),
        r"{file}: location '{first}' maps to a JSON list \(1 such location\(s\)\); expected "
        r'\{{season: \[class, ...\]\}}'),
    'no location matches': (
        lambda labels, locations: json.dumps({f'loc{k}': v for k, v in labels.items()}),
        r'labels_file {file} has no entry for any of the 3 locations under .*s2c \(its keys: '
        r"\['loc{first}', .*locations: \['{first}', .*expected 7-digit location ids as keys"),
}


@pytest.mark.parametrize('unlabeled', ['exclude', 'keep'])
@pytest.mark.parametrize('fault', list(SSL4EO_FAULTS))
def test_ssl4eo_labels_fault_names_file_and_location(ssl4eo, tmp_path, fault, unlabeled):
    root, locations, labels = ssl4eo
    write, message = SSL4EO_FAULTS[fault]
    labels_file = tmp_path / 'labels.json'
    labels_file.write_text(write(labels, locations))
    with pytest.raises(ValueError, match='SSL4EOS12: ' + message.format(
            file=re.escape(str(labels_file)), first=locations[0])):
        SSL4EOS12(root, labels_file=labels_file, unlabeled=unlabeled)


@pytest.mark.parametrize('content, message', [
    (b'# only a comment\n\n', r'lists no scene path \(expected one path per line'),
    (b'\xff\xfe\x00a.tif\n', r'is not UTF-8 text with one scene path per line'),
])
def test_scene_list_empty_or_binary_names_the_file(tmp_path, content, message):
    listing = tmp_path / 'scenes.txt'
    listing.write_bytes(content)
    with pytest.raises(ValueError, match=rf'SceneWindows: scene list {re.escape(str(listing))} '
                       + message):
        SceneWindows(tmp_path, scenes=str(listing), pattern='*.tif', size=4)
