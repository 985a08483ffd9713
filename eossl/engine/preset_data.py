"""Generated data for ``--preset cpu-tiny``: a tiny dataset in the layout the recipe reads.

The generator is chosen by the recipe's dataset type (not its method: the SoftCon and
Dual-SimCLR demos read BigEarthNet, the PerA variants SSL4EO-S12 folders, litdata shards or
scenes), with the recipe's own settings (modality, tree names). The data is written once per
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


def _ssl4eo(root: Path, dataset: dict) -> Path:
    from eossl.testing import make_fake_ssl4eo_s12
    # 4 samples; a labelled recipe leaves out the generator's unlabeled location and season
    make_fake_ssl4eo_s12(root, num_locations=6 if dataset.get('labels_file') else 4, seasons=2,
                         size=SIZE,
                         modalities=(dataset.get('modality', 's2c'), ))
    return root


def _shards(root: Path, dataset: dict) -> Path:
    from eossl.datasets.ssl4eo_s12 import SSL4EOS12
    from eossl.datasets.shards import pack_dataset
    from eossl.testing import make_fake_ssl4eo_s12
    make_fake_ssl4eo_s12(root / 'ssl4eo-s12', num_locations=4, seasons=1, size=SIZE,
                         modalities=('s2c', ))
    pack_dataset(SSL4EOS12(root / 'ssl4eo-s12', modality='s2c'), root / 's2c',
                 samples_per_shard=2)
    return root / 's2c'


def _scenes(root: Path, dataset: dict) -> Path:
    from eossl.testing import make_fake_scene
    make_fake_scene(root / 'scene.tif', 4 * SIZE, 4 * SIZE, nodata_fraction=0.0)
    return root


def _mmearth(root: Path, dataset: dict) -> Path:
    from eossl.testing import make_fake_mmearth
    return make_fake_mmearth(root, num_samples=6, size=32)


def _sen12ms(root: Path, dataset: dict) -> Path:
    from eossl.testing import make_fake_sen12ms
    make_fake_sen12ms(root, num_patches=4, size=128, modalities=('s1', 's2'))
    return root


def _bigearthnet(root: Path, dataset: dict) -> Path:
    from eossl.testing import make_fake_bigearthnet
    modalities = dataset.get('modalities', ('s2', ))
    make_fake_bigearthnet(root, num_patches=4, size=SIZE,
                          s2_dir=dataset.get('s2_root', 'BigEarthNet-v1.0'),
                          s1_dir=dataset.get('s1_root', 'BigEarthNet-S1-v1.0')
                          if 's1' in modalities else None)
    return root


# dataset type (without scope) → writes under a folder, returns the data_root to train on
GENERATORS: dict[str, Callable[[Path, dict], Path]] = {
    'SSL4EOS12': _ssl4eo, 'ShardedDataset': _shards, 'SceneWindows': _scenes,
    'MMEarth': _mmearth, 'SEN12MS': _sen12ms, 'BigEarthNet': _bigearthnet,
}


def generated_data_root(folder: str | Path, dataset: dict) -> str:
    """The data_root of a generated dataset for ``dataset`` (a dataset config) under
    ``folder``, written there first unless an earlier run or another rank already did.

    Raises:
        KeyError: no generator for the dataset's type, naming those there are.
    """
    kind = str(dataset.get('type', '')).split('.')[-1]
    if kind not in GENERATORS:
        raise KeyError(f'--preset cpu-tiny: no generated data for dataset type {kind!r}; there '
                       f'is for {", ".join(GENERATORS)} (or point data_root at your data)')
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
            data_root = GENERATORS[kind](staging, dataset)
            (staging / 'DATA_ROOT').write_text(data_root.relative_to(staging).as_posix())
            os.rename(staging, folder)
        except OSError:
            if not marker.is_file():  # not a lost race: a real failure
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return str(folder / marker.read_text())
