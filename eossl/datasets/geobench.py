"""GEO-Bench v1 tasks (``ServiceNow/geo-bench``): one HDF5 file per sample, read without geobench.

A task folder (e.g. ``classification_v1.0/m-eurosat``) holds ``<sample>.hdf5`` files,
``band_stats.json`` and partition files ``default_partition.json``, ``0.01x_train_partition.json``
… ``1.00x_train_partition.json`` (``{"train": [...], "valid": [...], "test": [...]}``). Each HDF5
file has one 2-D dataset per band, named by the band's descriptor (``'08A - Vegetation Red
Edge'``; multi-temporal bands end in ``_<date>``), and a root attribute ``pickle``: the repr of
a pickle of ``{descriptor: band attributes, 'bands_order': [...], 'label': ...}``. The label is
that pickled value (an int, or a 0/1 vector for multi-label tasks) or, for segmentation, the
``'label'`` dataset.

Why not the ``geobench`` package: its 1.0 release pins ``pandas<2``, ``huggingface_hub<0.20``
and Python ``<3.13`` (``pip install --dry-run geobench`` downgrades pandas and huggingface-hub
here), and its reader unpickles arbitrary objects. This reader uses h5py and a restricted
unpickler that only builds numpy arrays, builtins and inert records for geobench's own classes.

m-eurosat quirk: GEO-Bench's converter gave EuroSAT's file order (``B1 … B12, B8A``) the
canonical names (``B1 … B8, B8A, B9 … B12``), so from ``08A`` on each stored name is one band
off. With ``true_band_names=True`` (default) the reader names those bands by what they hold
(``08A`` → B9, ``09`` → B10, ``10`` → B11, ``11`` → B12, ``12`` → B8A) so band matching by name
is right; ``False`` keeps the stored names (what GEO-Bench's positional models see).
"""
import ast
import io
import json
import logging
import pickle
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from mmengine.logging import print_log

from eossl.registry import DATASETS

from .base import EODataset
from .errors import InvalidSampleError

if TYPE_CHECKING:
    import h5py

SPLITS = {'train': 'train', 'val': 'valid', 'valid': 'valid', 'test': 'test'}
EUROSAT_SHIFT = {'B8A': 'B9', 'B9': 'B10', 'B10': 'B11', 'B11': 'B12', 'B12': 'B8A'}
_S2_DESCRIPTOR = re.compile(r'^(\d{2})(A?) - ')
_SAFE_MODULES = ('numpy', 'builtins', 'collections', 'datetime', 'copyreg', '_codecs')


class _Record:
    """An inert stand-in for a pickled geobench / rasterio object: keeps its state, runs nothing."""

    def __init__(self, *args, **kwargs) -> None:
        self.args, self.kwargs = args, kwargs

    def __setstate__(self, state) -> None:
        self.state = state


class _SafeUnpickler(pickle.Unpickler):
    """Builds numpy / builtin values; any other class becomes an inert :class:`_Record`."""

    def find_class(self, module: str, name: str):
        if module.split('.')[0] in _SAFE_MODULES and name not in ('eval', 'exec', 'getattr',
                                                                  'system', '__import__'):
            return super().find_class(module, name)
        return type(name, (_Record, ), {'__module__': 'eossl.geobench_record'})


def read_attrs(handle: 'h5py.File', path: Path) -> dict:  # noqa: F821 (h5py: imported on use)
    """The unpickled ``pickle`` attribute of an open GEO-Bench sample file."""
    try:
        raw = ast.literal_eval(handle.attrs['pickle'])
        return _SafeUnpickler(io.BytesIO(raw)).load()
    except (KeyError, ValueError, SyntaxError, pickle.UnpicklingError, EOFError) as err:
        raise InvalidSampleError(f'{path}: not a GEO-Bench sample (no readable "pickle" '
                                 f'attribute: {err})') from err


def band_name(descriptor: str) -> str:
    """eossl's name of a GEO-Bench band descriptor: ``'08A - Vegetation Red Edge'`` → ``'B8A'``."""
    match = _S2_DESCRIPTOR.match(descriptor)
    if match:
        return f'B{int(match[1])}{match[2]}'
    return descriptor.split(' - ')[0].strip()


def _label(value) -> list[int]:
    array = np.asarray(value)
    if array.ndim == 0:
        return [int(array)]
    return np.flatnonzero(array).tolist()


@DATASETS.register_module()
class GeoBenchDataset(EODataset):
    """One GEO-Bench v1 task folder and partition (see the module docstring).

    Args:
        data_root: the task folder (holding the ``.hdf5`` files and partition files).
        split: ``'train'``, ``'val'`` (GEO-Bench's ``valid``) or ``'test'``.
        partition: ``'default'`` or a label fraction such as ``'0.01x_train'``.
        task: ``'classification'`` (``gt_label`` from the pickled label) or
            ``'segmentation'`` (the ``label`` band is read by
            :class:`~eossl.datasets.transforms.LoadGeoBenchSample`).
        true_band_names: fix m-eurosat's shifted names (see the module docstring); applies
            only when the folder is called ``m-eurosat`` or ``eurosat``.
        **kwargs: :class:`~eossl.datasets.EODataset` options.
    """

    def __init__(self, data_root: str | Path, split: str = 'train', partition: str = 'default',
                 task: str = 'classification', true_band_names: bool = True, **kwargs) -> None:
        if split not in SPLITS:
            raise ValueError(f'GeoBenchDataset: split must be one of {sorted(SPLITS)}, got '
                             f'{split!r}')
        if task not in ('classification', 'segmentation'):
            raise ValueError(f"GeoBenchDataset: task must be 'classification' or "
                             f"'segmentation', got {task!r}")
        self.split, self.partition, self.task = split, partition, task
        self.true_band_names = true_band_names
        super().__init__(data_root, **kwargs)

    def band_names(self, descriptors: list[str]) -> tuple[str, ...]:
        """eossl band names of a sample's band descriptors (label excluded)."""
        names = [band_name(d) for d in descriptors]
        if self.true_band_names and Path(self.data_root).name in ('m-eurosat', 'eurosat'):
            names = [EUROSAT_SHIFT.get(n, n) for n in names]
        return tuple(names)

    def load_data_list(self) -> list[dict]:
        """Items of the partition's split: ``paths['hdf5']``, band names, ``gt_label``."""
        part_file = self.resolve(f'{self.partition}_partition.json')
        if not part_file.is_file():
            raise FileNotFoundError(f'GeoBenchDataset: partition file {part_file} does not exist')
        partition = json.loads(part_file.read_text(encoding='utf-8'))
        key = SPLITS[self.split]
        if key not in partition:
            raise KeyError(f'{part_file}: no "{key}" list (has {sorted(partition)})')
        items = []
        for name in partition[key]:
            path = self.resolve(f'{name}.hdf5')
            try:
                if not path.is_file():
                    raise InvalidSampleError(f'{path} is missing (listed in {part_file.name})')
                import h5py  # eossl[optional]: imported on use
                with h5py.File(path, 'r') as handle:
                    attrs = read_attrs(handle, path)
                    order = [d for d in attrs.get('bands_order', list(handle))
                             if not d.startswith('label')]
                item = {'sample_id': name, 'paths': {'hdf5': str(path)},
                        'bands': {'hdf5': self.band_names(order)}, 'descriptors': order}
                if self.task == 'classification':
                    if 'label' not in attrs:
                        raise InvalidSampleError(f'{path}: no pickled label')
                    item['gt_label'] = _label(attrs['label'])
            except (InvalidSampleError, OSError) as err:
                self.reject(name, InvalidSampleError(str(err)))
                continue
            items.append(item)
        if not items:
            raise FileNotFoundError(f'GeoBenchDataset: no {key} sample under {self.data_root}')
        print_log(f'GeoBenchDataset: {len(items)} {key} samples ({self.partition}) from '
                  f'{self.data_root}', logger='current', level=logging.INFO)
        return items
