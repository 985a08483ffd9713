"""Corrupt chunks are refused, naming the chunk file; verify finds them. Compact records are
checked with their xxh3-64, files records and compact records packed before it with CRC-32;
by default once per sample and chunk file, again when the file changes."""
import os
import zlib

import numpy as np
import pytest
import torch
import xxhash
from torch.utils.data import DataLoader

from eossl.datasets import ShardedDataset
from eossl.datasets.shards import ShardCorruptError, compact_codec, pack_dataset, verify_shards
from eossl.testing import write_geotiff

LOADER = dict(type='LoadMultiBandImage', modality='img', bands=None)


class Items:
    """Four 3x3 uint16 single-file samples of the value 1000 + their index."""

    def __init__(self, root) -> None:
        self.paths = [str(write_geotiff(root / f'{i}.tif', np.full((3, 3), 1000 + i, np.uint16)))
                      for i in range(4)]
        self.metainfo, self.skip_invalid = {}, False

    def __len__(self) -> int:
        return len(self.paths)

    def get_data_info(self, i: int) -> dict:
        return dict(sample_id=f's{i}', paths={'img': self.paths[i]})


@pytest.fixture
def shards(tmp_path):
    pack_dataset(Items(tmp_path / 'files'), tmp_path / 'shards', samples_per_shard=2)
    return tmp_path / 'shards'


@pytest.fixture
def compact(tmp_path):
    pack_dataset(Items(tmp_path / 'files'), tmp_path / 'compact', samples_per_shard=2,
                 layout='compact', loaders=[LOADER])
    return tmp_path / 'compact'


def flip_pixel(path, value: int) -> None:
    """Change the first stored pixel equal to ``value`` (uint16 little-endian)."""
    data = bytearray(path.read_bytes())
    at = data.find(np.full(9, value, np.uint16).tobytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def read_all(shards, **kwargs) -> list:
    return list(ShardedDataset(shards, shuffle=False, **kwargs))


def test_a_changed_pixel_is_refused_naming_the_chunk(shards):
    flip_pixel(shards / 'chunk-0-1.bin', 1003)
    with pytest.raises(ShardCorruptError, match=r'chunk-0-1\.bin sample 3: pixel bytes have '
                                                 r'CRC-32 \d+, the sample says \d+ \(the chunk'):
        read_all(shards)
    report = verify_shards(shards)
    assert not report.ok and report.samples == 4
    assert len(report.problems) == 1 and 'chunk-0-1.bin: sha256' in report.problems[0]


def test_a_truncated_chunk_is_refused_naming_it(shards):
    chunk = shards / 'chunk-0-0.bin'
    chunk.write_bytes(chunk.read_bytes()[:-20])
    with pytest.raises(ShardCorruptError, match=r'chunk-0-0\.bin: \d+ bytes, index.json says '
                                                 r'\d+ \(truncated'):
        read_all(shards)
    assert 'chunk-0-0.bin: ' in verify_shards(shards, workers=2).problems[0]


def test_skip_invalid_replaces_a_corrupt_sample(shards):
    flip_pixel(shards / 'chunk-0-0.bin', 1000)
    dataset = ShardedDataset(shards, shuffle=False, skip_invalid=True)
    items = list(dataset)
    assert len(items) == 4 and 's0' not in {i['sample_id'] for i in items}
    assert 'CRC-32' in dataset.invalid_samples['0']


def test_verify_accepts_an_intact_folder_and_counts_against_the_source(shards):
    assert verify_shards(shards, expected_samples=4).ok
    report = verify_shards(shards, expected_samples=5)
    assert not report.ok and 'the dataset has 5' in report.problems[0]



def pixels(i: int) -> bytes:
    """The stored pixel bytes of item ``i``: one (1, 3, 3) uint16 band."""
    return np.full((1, 3, 3), 1000 + i, np.uint16).tobytes()


def test_a_compact_record_carries_xxh3_and_a_changed_pixel_is_refused(compact):
    chunk = compact / 'chunk-0-1.bin'
    data = chunk.read_bytes()
    assert f'"xxh3_64": "{xxhash.xxh3_64_hexdigest(pixels(3))}"'.encode() in data
    assert b'"crc32"' not in data
    assert [int(item['packed']['img'][0, 0, 0]) for item in read_all(compact)] == [
        1000, 1001, 1002, 1003]
    flip_pixel(chunk, 1003)
    with pytest.raises(ShardCorruptError, match=r'chunk-0-1\.bin sample 3: pixel bytes have '
                                                 r'xxh3-64 [0-9a-f]{16}, the sample says '
                                                 r'[0-9a-f]{16} \(the chunk is corrupt\)'):
        read_all(compact)
    assert len(read_all(compact, check_checksum=False)) == 4  # the check is what refuses it


def test_an_older_compact_record_with_crc32_is_still_checked_with_it(tmp_path, monkeypatch):
    """Compact shards packed before xxh3-64 carry "crc32" (the key decides the check)."""
    monkeypatch.setattr(compact_codec, 'XXH3', 'crc32')  # the writer as it was
    pack_dataset(Items(tmp_path / 'files'), tmp_path / 'old', samples_per_shard=2,
                 layout='compact', loaders=[LOADER])
    chunk = tmp_path / 'old' / 'chunk-0-0.bin'
    data = chunk.read_bytes()
    assert f'"crc32": {zlib.crc32(pixels(1))}'.encode() in data and b'xxh3' not in data
    monkeypatch.undo()
    assert [int(item['packed']['img'][0, 0, 0]) for item in read_all(tmp_path / 'old')] == [
        1000, 1001, 1002, 1003]
    flip_pixel(chunk, 1001)
    with pytest.raises(ShardCorruptError, match=r'chunk-0-0\.bin sample 1: pixel bytes have '
                                                 r'CRC-32 \d+, the sample says \d+ \(the chunk'):
        read_all(tmp_path / 'old')


def flip_keeping_the_file(path, value: int) -> None:
    """Change the first stored pixel equal to ``value`` in place and set the modification time
    back: the bytes change, the file (device, inode, size, mtime) does not."""
    stat, at = path.stat(), path.read_bytes().find(np.full(9, value, np.uint16).tobytes())
    with open(path, 'r+b') as f:
        f.seek(at)
        old = f.read(1)[0]
        f.seek(at)
        f.write(bytes([old ^ 0xFF]))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_by_default_a_sample_is_hashed_once_per_chunk_file(compact):
    """'first_read': the bytes a sample was checked in are not hashed again while its chunk is
    the same file; once the file changes (here its mtime) they are, and the change is found."""
    chunk, dataset = compact / 'chunk-0-1.bin', ShardedDataset(compact, shuffle=False)
    assert dataset.check_checksum == 'first_read' and len(list(dataset)) == 4
    flip_keeping_the_file(chunk, 1003)
    dataset.set_epoch(1)
    assert len(list(dataset)) == 4  # checked in this file already: not hashed again
    with pytest.raises(ShardCorruptError, match=r'chunk-0-1\.bin sample 3: pixel bytes'):
        read_all(compact, check_checksum='every_read')  # what hashing every read finds
    with pytest.raises(ShardCorruptError, match=r'chunk-0-1\.bin sample 3: pixel bytes'):
        read_all(compact)  # a new run checks every sample on its first read
    stat = chunk.stat()
    os.utime(chunk, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # another file now
    dataset.set_epoch(2)
    with pytest.raises(ShardCorruptError, match=r'chunk-0-1\.bin sample 3: pixel bytes'):
        list(dataset)


def _worker_and_samples(batch: list) -> tuple[int, list[int]]:
    return torch.utils.data.get_worker_info().id, [item['sample_idx'] for item in batch]


def test_workers_share_which_samples_were_checked(compact):
    """A sample checked by one DataLoader worker is not hashed again by another: after every
    sample's bytes changed under the same files, later epochs (samples moving between the two
    persistent workers) read without error."""
    dataset = ShardedDataset(compact, seed=3)
    loader = DataLoader(dataset, batch_size=1, num_workers=2, persistent_workers=True,
                        collate_fn=_worker_and_samples)
    readers: dict[int, set[int]] = {}
    for epoch in range(4):
        dataset.set_epoch(epoch, batch_size=1)
        for worker, samples in loader:
            for sample in samples:
                readers.setdefault(sample, set()).add(worker)
        if epoch == 0:
            for value, chunk in ((1000, 0), (1001, 0), (1002, 1), (1003, 1)):
                flip_keeping_the_file(compact / f'chunk-0-{chunk}.bin', value)
    assert sorted(readers) == [0, 1, 2, 3]
    assert any(len(workers) == 2 for workers in readers.values())  # the premise: samples moved
    with pytest.raises(ShardCorruptError):
        read_all(compact)  # the bytes did change


def test_check_checksum_names_its_modes(compact):
    with pytest.raises(ValueError, match=r"check_checksum must be one of \('first_read', "
                                         r"'every_read', True, False\), got 'always'"):
        ShardedDataset(compact, check_checksum='always')
