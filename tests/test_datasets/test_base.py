"""EODataset: skipping invalid samples, lazy init, path checks, and name-list reading."""
import bz2
from pathlib import Path

import numpy as np
import pytest

from eossl.datasets import EODataset, InvalidSampleError
from eossl.datasets.base import list_subfolders, read_name_list, require_files


class ListDataset(EODataset):
    """Items ``a``, ``b``, ``c`` from a folder that must exist; ``reject_ids`` fail indexing."""

    def __init__(self, data_root, reject_ids=(), **kwargs):
        self.reject_ids = reject_ids
        super().__init__(data_root, **kwargs)

    def load_data_list(self):
        self.require_dir('.', 'test root')
        items = []
        for sample_id in 'abc':
            if sample_id in self.reject_ids:
                self.reject(sample_id, InvalidSampleError(f'{sample_id}: rejected at index time'))
                continue
            items.append({'sample_id': sample_id, 'paths': {'img': {'B1': f'{sample_id}.tif'}},
                          'gt_label': [ord(sample_id) - ord('a')]})
        return items


class FailOn:
    """A pipeline step raising ``error_type`` for one sample id, passing the others through."""

    def __init__(self, bad_id, error_type=InvalidSampleError):
        self.bad_id, self.error_type = bad_id, error_type

    def __call__(self, results):
        if results['sample_id'] == self.bad_id:
            raise self.error_type(f'{self.bad_id}.tif: expected 1 band, found 3')
        return results


@pytest.fixture
def logged(monkeypatch):
    """Messages passed to the base module's ``print_log``."""
    messages = []
    monkeypatch.setattr('eossl.datasets.base.print_log', lambda msg, **kw: messages.append(msg))
    return messages


def test_skip_invalid_draws_another_sample_and_records_it(tmp_path, logged):
    dataset = ListDataset(tmp_path, pipeline=[FailOn('b')], skip_invalid=True)
    np.random.seed(0)
    for _ in range(5):
        assert dataset[1]['sample_id'] in ('a', 'c')
    assert list(dataset.invalid_samples) == ['b']
    assert 'expected 1 band' in dataset.invalid_samples['b']
    assert '(1 invalid so far)' in logged[0] and 'b' in logged[0]
    assert dataset[0]['sample_id'] == 'a'


def test_invalid_sample_propagates_without_skip(tmp_path):
    dataset = ListDataset(tmp_path, pipeline=[FailOn('b')])
    with pytest.raises(InvalidSampleError, match='b.tif: expected 1 band'):
        dataset[1]
    assert dataset.invalid_samples == {}


def test_test_mode_records_then_raises_instead_of_substituting(tmp_path, logged):
    dataset = ListDataset(tmp_path, pipeline=[FailOn('b')], skip_invalid=True, test_mode=True)
    with pytest.raises(InvalidSampleError, match='test_mode'):
        dataset[1]
    assert list(dataset.invalid_samples) == ['b']
    assert dataset[2]['sample_id'] == 'c'


def test_other_errors_are_never_swallowed(tmp_path):
    dataset = ListDataset(tmp_path, pipeline=[FailOn('b', RuntimeError)], skip_invalid=True)
    with pytest.raises(RuntimeError):
        dataset[1]


def test_index_time_rejection(tmp_path, logged):
    with pytest.raises(InvalidSampleError, match='rejected at index time'):
        ListDataset(tmp_path, reject_ids=('b', ))
    dataset = ListDataset(tmp_path, reject_ids=('b', ), skip_invalid=True)
    assert [dataset[i]['sample_id'] for i in range(len(dataset))] == ['a', 'c']
    assert list(dataset.invalid_samples) == ['b']


def test_lazy_init_defers_the_disk_check(tmp_path):
    missing = tmp_path / 'not_there'
    with pytest.raises(FileNotFoundError, match='test root .*not_there'):
        ListDataset(missing)
    dataset = ListDataset(missing, lazy_init=True)
    missing.mkdir()
    assert len(dataset) == 3


@pytest.mark.parametrize('serialize', [True, False])
def test_items_survive_serialization_and_give_cat_ids(tmp_path, serialize):
    dataset = ListDataset(tmp_path, serialize_data=serialize)
    info = dataset.get_data_info(2)
    assert info['paths'] == {'img': {'B1': 'c.tif'}} and info['sample_idx'] == 2
    assert dataset.get_cat_ids(2) == [2]


def test_resolve_keeps_absolute_and_joins_relative(tmp_path):
    dataset = ListDataset(tmp_path)
    assert dataset.resolve('x/y') == tmp_path / 'x' / 'y'
    assert dataset.resolve('/abs/x') == Path('/abs/x')


def test_read_name_list_forms(tmp_path):
    text = '# comment\nname_1,extra\n\n  name_2 \n'
    (tmp_path / 'plain.csv').write_text(text)
    (tmp_path / 'packed.csv.bz2').write_bytes(bz2.compress(text.encode()))
    expected = [(2, 'name_1'), (4, 'name_2')]
    assert read_name_list(tmp_path / 'plain.csv') == expected
    assert read_name_list(tmp_path / 'packed.csv.bz2') == expected


@pytest.mark.parametrize('content, message', [
    (b'\x89PNG\r\n\x1a\n\xff\xfe\x00', 'not a UTF-8'),
    (b'', 'lists no sample name'),
    (b'# only a comment\n\n', 'lists no sample name'),
])
def test_read_name_list_rejects_bad_files(tmp_path, content, message):
    path = tmp_path / 'split.csv'
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        read_name_list(path)
    (tmp_path / 'bad.csv.bz2').write_bytes(b'not bz2 data')
    with pytest.raises(ValueError, match='not a UTF-8'):
        read_name_list(tmp_path / 'bad.csv.bz2')
    with pytest.raises(FileNotFoundError, match='missing.csv'):
        read_name_list(tmp_path / 'missing.csv')


def test_folder_helpers(tmp_path):
    for name in ('b', 'a', '.hidden'):
        (tmp_path / name).mkdir()
    (tmp_path / 'a' / 'x.tif').touch()
    assert list_subfolders(tmp_path) == ['a', 'b']
    require_files(tmp_path / 'a', ['x.tif'])
    with pytest.raises(InvalidSampleError, match=r'a/y\.tif is missing \(and 1 more'):
        require_files(tmp_path / 'a', ['x.tif', 'y.tif', 'z.tif'])
    with pytest.raises(InvalidSampleError, match='folder is missing'):
        require_files(tmp_path / 'c', ['x.tif'])
