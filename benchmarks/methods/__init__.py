"""The methods as benchmarks see them: recipe, fake data in the recipe's layout, CPU size.

Every method brings its spec file ``methods/<slug>.py`` (:mod:`methods.spec`): its throughput
rows (:data:`METHODS`) and its learning-signal rows (:data:`LEARNING_SIGNAL`), found here by
scanning this folder, so a new method adds a file and edits none. Every benchmark builds the
method from its real recipe (model, data pipeline, optimizer) and points the recipe's dataset at
fake files written by :mod:`eossl.testing` in the dataset's exact on-disk layout (SSL4EO-S12
264 px 13-band GeoTIFFs, SEN12MS 256 px S1/S2, MMEarth h5), so the read + augment work is the
real one. ``size='cpu'`` applies the algorithm's own ``cpu_overrides(cfg, 'bench')`` (image /
crop sizes, prototype count; the architectures stay), ``size='tiny'`` its ``'tiny'`` size (toy
widths: ``gpu_check.py --smoke``); ``size='recipe'`` runs the recipe as written (GPU).
"""
import importlib
import pkgutil
from pathlib import Path

from mmengine.config import Config

from .spec import Benchmark, SignalRun

REPO = Path(__file__).resolve().parents[2]
# benchmark size → the algorithm's CPU size (``cpu_overrides``)
CPU_SIZES = {'cpu': 'bench', 'tiny': 'tiny'}


def _specs() -> tuple[dict[str, Benchmark], dict[str, SignalRun]]:
    """Every spec module's ``THROUGHPUT`` and ``LEARNING_SIGNAL`` rows, by row name."""
    throughput: dict[str, Benchmark] = {}
    signal: dict[str, SignalRun] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in ('spec', 'layouts'):
            continue
        module = importlib.import_module(f'{__name__}.{info.name}')
        for table, rows in ((throughput, getattr(module, 'THROUGHPUT', {})),
                            (signal, getattr(module, 'LEARNING_SIGNAL', {}))):
            clash = set(table) & set(rows)
            if clash:
                raise RuntimeError(f'benchmark rows {sorted(clash)} of {module.__name__} are '
                                   'declared by another spec too')
            table.update(rows)
    return throughput, signal


METHODS, LEARNING_SIGNAL = _specs()


def load_recipe(method: str, recipe: str | None, size: str, data_root: Path,
                cfg_options: dict | None = None) -> Config:
    """The method's recipe (or ``recipe``) with its size, data root and overrides."""
    from eossl.models.selfsup.cpu_sizes import apply_cpu_size
    spec = METHODS[method]
    cfg = Config.fromfile(REPO / (recipe or spec.recipe))
    cfg.merge_from_dict(spec.options)
    if size in CPU_SIZES:
        apply_cpu_size(cfg, CPU_SIZES[size])
    elif size != 'recipe':
        raise KeyError(f'size {size!r}: expected recipe or one of {sorted(CPU_SIZES)}')
    cfg.merge_from_dict({'train_dataloader.dataset.data_root': str(data_root),
                         **(cfg_options or {})})
    return cfg


def fake_data(method: str, cache: Path, samples: int) -> Path:
    """Fake data for ``method`` with at least ``samples`` training samples, written once under
    ``cache`` and reused by later runs."""
    spec = METHODS[method]
    root = cache / f'{spec.make_data.__name__.strip("_")}_{samples}'
    marker = root / '.complete'
    if not marker.exists():
        data_root = spec.make_data(root, samples)
        marker.write_text(str(data_root))
    return Path(marker.read_text())


__all__ = ['LEARNING_SIGNAL', 'METHODS', 'REPO', 'Benchmark', 'SignalRun', 'fake_data',
           'load_recipe']
