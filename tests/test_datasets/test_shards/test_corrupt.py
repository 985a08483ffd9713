"""Corrupt shards fail loudly, naming the shard file and the byte offset; verify finds them."""
import json

import numpy as np
import pytest

from eossl.datasets import ShardedDataset
from eossl.datasets.shards import ShardCorruptError, pack_dataset, verify_shards
from eossl.testing import write_geotiff


class Items:
    """Four 3x3 uint16 single-file samples."""

    def __init__(self, root) -> None:
        self.paths = [str(write_geotiff(root / f'{i}.tif', np.full((3, 3), i, np.uint16)))
                      for i in range(4)]
        self.metainfo, self.skip_invalid = {}, False

    def __len__(self) -> int:
        return len(self.paths)

    def get_data_info(self, i: int) -> dict:
        return dict(sample_id=f's{i}', paths={'img': self.paths[i]})


@pytest.fixture
def shards(tmp_path):
    pack_dataset(Items(tmp_path / 'files'), tmp_path / 'shards', samples_per_shard=4)
    return tmp_path / 'shards'


def sample_offset(shards, i: int) -> int:
    return json.loads((shards / 'shard-000000.idx.json').read_text())['offsets'][i]


def flip_byte(path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def read_all(shards, **kwargs) -> list:
    return list(ShardedDataset(shards, shuffle=False, **kwargs))


def test_bad_tar_header_names_shard_and_offset(shards):
    offset = sample_offset(shards, 2)
    flip_byte(shards / 'shard-000000.tar', offset + 10)  # inside the name of its first header
    with pytest.raises(ShardCorruptError,
                       match=rf'shard-000000\.tar byte offset {offset}: tar header checksum'):
        read_all(shards)


def test_truncated_shard_names_shard_and_offset(shards):
    tar = shards / 'shard-000000.tar'
    offset = sample_offset(shards, 3)
    tar.write_bytes(tar.read_bytes()[:offset + 700])
    with pytest.raises(ShardCorruptError,
                       match=rf'shard-000000\.tar byte offset {offset}: .*truncated shard'):
        read_all(shards)


def test_flipped_pixel_is_caught_by_the_checksum(shards):
    offset = sample_offset(shards, 1)
    # sample 1 ends with its .npy (128-byte header + 9 uint16) padded to 512: flip its last pixel
    flip_byte(shards / 'shard-000000.tar', sample_offset(shards, 2) - 512 + 128 + 17)
    pixels = read_all(shards)[1]['paths']['img'].read()  # decodes: one value changed
    assert (pixels == 1).sum() == 8 and pixels[0, 2, 2] != 1
    with pytest.raises(ShardCorruptError,
                       match=rf'shard-000000\.tar byte offset {offset}: sample 000000001 has '
                             'sha256'):
        read_all(shards, verify_checksums=True)
    report = verify_shards(shards)
    assert not report.ok and report.samples == 4
    assert any(f'byte offset {offset}' in p for p in report.problems), report.problems


def test_skip_invalid_replaces_a_corrupt_sample(shards):
    flip_byte(shards / 'shard-000000.tar', sample_offset(shards, 0) + 10)
    dataset = ShardedDataset(shards, shuffle=False, skip_invalid=True)
    items = list(dataset)
    assert len(items) == 4 and 's0' not in {i['sample_id'] for i in items}
    assert 'tar header checksum' in dataset.invalid_samples['s0']


def test_verify_accepts_an_intact_folder_and_counts_against_the_source(shards):
    assert verify_shards(shards, expected_samples=4).ok
    report = verify_shards(shards, expected_samples=5)
    assert not report.ok and 'the dataset has 5' in report.problems[0]
