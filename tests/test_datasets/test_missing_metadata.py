"""Datasets whose metadata lacks an expected field stop with the file and the field named, not
with numpy's bare ``ValueError: no field of name tile_id``."""
import json

import h5py
import numpy as np
import pytest

from eossl.datasets import MMEarth
from eossl.testing import make_fake_mmearth


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
