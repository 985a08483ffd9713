"""Generated data for ``--preset cpu-tiny``: a tiny dataset in the layout the recipe reads.

The generator is the recipe's dataset class's own (its ``write_fake_data`` classmethod, not a
table here and not the method: the SoftCon and Dual-SimCLR demos read BigEarthNet, the PerA
variants SSL4EO-S12 folders, litdata shards or scenes, DeCUR paired SSL4EO-S12 modalities), with
the recipe's own settings (modality, tree names). The data is written once per
folder and atomically: each process writes into its own temporary sibling and renames it into
place, so the ranks of ``dist_train.sh --preset cpu-tiny`` never write into one folder at once
(the first rename wins, the others use its identical, seeded result), and a later run of the
same work dir reuses it.
"""
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

SIZE = 48  # 10 m pixels of a generated patch (divisible by 6 for the 20 / 60 m bands)


def data_writer(dataset: dict) -> Callable[[Path, dict, int], Path]:
    """The fake-data writer of ``dataset``'s type: the registered dataset's ``write_fake_data``
    classmethod ``(root, dataset config, size) → data_root`` (each dataset class writes a tiny
    copy of its own on-disk layout, so a new dataset brings its generator with it).

    Raises:
        KeyError: an unregistered type, or one without a writer (naming those that have one).
    """
    from eossl.registry import DATASETS
    name = str(dataset.get('type', ''))
    registered = DATASETS.get(name) if name else None
    writer = getattr(registered, 'write_fake_data', None)
    if writer is None:
        import eossl.datasets  # noqa: F401 - registers every dataset for the list below
        having = sorted(k for k, v in DATASETS.module_dict.items()
                        if getattr(v, 'write_fake_data', None) is not None)
        raise KeyError(f'--preset cpu-tiny: no generated data for dataset type '
                       f'{name.split(".")[-1]!r} (no write_fake_data classmethod); there is for '
                       f'{", ".join(having)} (or point data_root at your data)')
    return writer


def generated_data_root(folder: str | Path, dataset: dict) -> str:
    """The data_root of a generated dataset for ``dataset`` (a dataset config) under
    ``folder``, written there first unless an earlier run or another rank already did.

    Raises:
        KeyError: no generator for the dataset's type, naming those there are.
    """
    writer = data_writer(dataset)
    folder = Path(folder)
    marker = folder / 'DATA_ROOT'  # written last: the folder is complete when it exists
    if folder.exists() and not marker.is_file():
        raise FileExistsError(f'{folder} exists but holds no {marker.name}: not data this '
                              'preset generated (an older eossl writes it differently); remove '
                              'the folder or choose another --work-dir')
    if not marker.is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f'.{folder.name}-', dir=folder.parent))
        try:
            data_root = writer(staging, dataset, SIZE)
            (staging / 'DATA_ROOT').write_text(data_root.relative_to(staging).as_posix())
            os.rename(staging, folder)
        except OSError:
            if not marker.is_file():  # not a lost race: a real failure
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return str(folder / marker.read_text())
