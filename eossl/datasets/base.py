"""The base of every eossl dataset: an mmengine ``BaseDataset`` that indexes files on disk.

A subclass implements ``load_data_list()`` and returns one item per sample following the eossl
contract (``sample_id``, ``paths``, optionally ``gt_label``). This base adds what every EO
dataset needs on top of mmengine: skipping samples that turn out to be unusable
(``skip_invalid``), path resolution against ``data_root`` with clear errors, and reading the
plain name lists that official splits ship as.
"""
import bz2
import csv
import io
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from .errors import InvalidSampleError
from .label_fraction import select_label_fraction


class EODataset(BaseDataset):
    """An mmengine dataset over an index of files, able to skip invalid samples.

    No annotation file is read: ``load_data_list()`` builds the index from the folder layout.
    Nothing touches the disk before ``full_init()``, so ``lazy_init=True`` builds the object
    even when ``data_root`` does not exist yet (e.g. while a config is being checked).

    Args:
        data_root: folder that relative paths given to the subclass are resolved against.
        skip_invalid: when True, an :class:`InvalidSampleError` found while indexing drops the
            sample, and one raised by the pipeline makes mmengine draw another index; either way
            the sample id and reason go into ``invalid_samples`` and a warning is logged. When
            False the error propagates. In ``test_mode`` a pipeline error is recorded and then
            raised anyway, because an evaluation must see every sample exactly once.
        label_fraction: keep a seeded, class-stratified fraction (0, 1] of the indexed items,
            e.g. 0.01 or 0.1 for low-label benchmarks (see
            :func:`eossl.datasets.label_fraction.select_label_fraction`); 1.0 keeps all.
        label_fraction_seed: the seed of that draw.
        metainfo, pipeline, test_mode, lazy_init, serialize_data, indices, max_refetch:
            as in :class:`mmengine.dataset.BaseDataset`.

    Note: with DataLoader workers, each worker keeps its own ``invalid_samples``; the warnings
    logged by the workers are the complete record.
    """

    def __init__(self,
                 data_root: str | Path,
                 *,
                 skip_invalid: bool = False,
                 label_fraction: float = 1.0,
                 label_fraction_seed: int = 0,
                 metainfo: Mapping | None = None,
                 pipeline: Sequence[dict | Callable] = (),
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 serialize_data: bool = True,
                 indices: int | Sequence[int] | None = None,
                 max_refetch: int = 1000) -> None:
        self.skip_invalid = skip_invalid
        self.invalid_samples: dict[str, str] = {}
        if not 0 < label_fraction <= 1:
            raise ValueError(f'{type(self).__name__}: label_fraction must be in (0, 1], got '
                             f'{label_fraction!r}')
        self.label_fraction = label_fraction
        self.label_fraction_seed = label_fraction_seed
        super().__init__(
            ann_file='',
            metainfo=metainfo,
            data_root=str(data_root),
            data_prefix={},
            indices=indices,
            serialize_data=serialize_data,
            pipeline=list(pipeline),
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch)

    def filter_data(self) -> list[dict]:
        """The indexed items, reduced to ``label_fraction`` of them (stratified by ``gt_label``)."""
        if self.label_fraction == 1:
            return self.data_list
        keep = select_label_fraction([item.get('gt_label', []) for item in self.data_list],
                                     self.label_fraction, self.label_fraction_seed)
        print_log(f'{type(self).__name__}: label_fraction={self.label_fraction} (seed '
                  f'{self.label_fraction_seed}) keeps {len(keep)} of {len(self.data_list)} items',
                  logger='current', level=logging.INFO)
        return [self.data_list[i] for i in keep]

    def resolve(self, path: str | Path) -> Path:
        """``path`` itself when absolute, else ``data_root / path``."""
        path = Path(path)
        return path if path.is_absolute() else Path(self.data_root) / path

    def require_dir(self, path: str | Path, what: str) -> Path:
        """The resolved folder ``path``; FileNotFoundError naming ``what`` when it is missing."""
        folder = self.resolve(path)
        if not folder.is_dir():
            raise FileNotFoundError(f'{type(self).__name__}: {what} {folder} does not exist or is '
                                    f'not a folder (data_root={self.data_root!r})')
        return folder

    def reject(self, sample_id: str, error: InvalidSampleError) -> None:
        """Handle a sample found unusable while indexing.

        Raises ``error`` unless ``skip_invalid``, in which case the sample is recorded and the
        caller leaves it out of the index.
        """
        if not self.skip_invalid:
            raise error
        self._record_invalid(sample_id, str(error))

    def _record_invalid(self, sample_id: str, reason: str) -> None:
        """Remember an invalid sample and log it with the running count."""
        self.invalid_samples[sample_id] = reason
        print_log(f'{type(self).__name__}: skipping invalid sample {sample_id}: {reason} '
                  f'({len(self.invalid_samples)} invalid so far)',
                  logger='current', level=logging.WARNING)

    def prepare_data(self, idx: int) -> dict | None:
        """Run the pipeline on item ``idx``; None (mmengine then draws another) when it is invalid.

        Only :class:`InvalidSampleError` is caught: any other exception is a bug and propagates.
        """
        data_info = self.get_data_info(idx)
        sample_id = str(data_info.get('sample_id', idx))
        try:
            return self.pipeline(data_info)
        except InvalidSampleError as err:
            if not self.skip_invalid:
                raise
            self._record_invalid(sample_id, str(err))
            if self.test_mode:
                raise InvalidSampleError(
                    f'{sample_id}: {err} (skip_invalid cannot drop a sample in test_mode, where '
                    'every sample must be evaluated once; remove it from the split instead)'
                ) from err
            return None

    def get_cat_ids(self, idx: int) -> list[int]:
        """Class indices of item ``idx`` (empty when unlabeled), as mmengine's class-balanced
        wrappers expect."""
        return list(self.get_data_info(idx).get('gt_label', []))


def read_name_list(path: str | Path) -> list[tuple[int, str]]:
    """``(line number, first field)`` of each non-empty line of a CSV or text name list.

    Official split lists come as one name per line, sometimes with more columns (the first
    is the sample name) and sometimes bz2-compressed (``.bz2`` suffix). Lines starting with
    ``#`` are comments.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not UTF-8 text, or lists no name.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'split list {path} does not exist')
    try:
        raw = bz2.decompress(path.read_bytes()) if path.suffix == '.bz2' else path.read_bytes()
        rows = list(csv.reader(io.StringIO(raw.decode('utf-8'))))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise ValueError(f'split list {path} is not a UTF-8 (optionally .bz2) list of sample '
                         f'names: {err}') from err
    names = [(number, row[0].strip()) for number, row in enumerate(rows, start=1)
             if row and row[0].strip() and not row[0].startswith('#')]
    if not names:
        raise ValueError(f'split list {path} lists no sample name')
    return names


def list_subfolders(folder: Path) -> list[str]:
    """Sorted names of the non-hidden folders directly inside ``folder`` (one ``scandir``)."""
    with os.scandir(folder) as entries:
        return sorted(e.name for e in entries if e.is_dir() and not e.name.startswith('.'))


def require_files(folder: Path, names: Sequence[str]) -> None:
    """InvalidSampleError naming the first of ``names`` missing in ``folder`` (one listdir)."""
    try:
        present = set(os.listdir(folder))
    except OSError as err:
        raise InvalidSampleError(f'{folder}: sample folder is missing or unreadable ({err})') \
            from err
    missing = [name for name in names if name not in present]
    if missing:
        more = f' (and {len(missing) - 1} more file(s))' if len(missing) > 1 else ''
        raise InvalidSampleError(f'{folder / missing[0]} is missing{more}')
