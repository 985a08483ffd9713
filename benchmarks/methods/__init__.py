"""The four methods as benchmarks see them: recipe, fake data in the recipe's layout, CPU size.

Every benchmark builds the method from its real recipe (model, data pipeline, optimizer) and
points the recipe's dataset at fake files written by :mod:`eossl.testing` in the dataset's exact
on-disk layout (SSL4EO-S12 264 px 13-band GeoTIFFs, SEN12MS 256 px S1/S2, MMEarth h5), so the
read + augment work is the real one. ``size='cpu'`` shrinks what makes a CPU step take minutes
(image / crop sizes, prototype count) but keeps the architectures (ViT-S, ResNet-50, ConvNeXt V2
atto); ``size='recipe'`` runs the recipe as written (GPU).
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mmengine.config import Config

REPO = Path(__file__).resolve().parents[1]


def _ssl4eo(root: Path, samples: int) -> Path:
    from eossl.testing import make_fake_ssl4eo_s12
    # one unlabeled location is written (and excluded by SoftCon), so write one more
    make_fake_ssl4eo_s12(root, num_locations=samples + 1, seasons=1, size=264,
                         modalities=('s2c',))
    return root


def _sen12ms(root: Path, samples: int) -> Path:
    from eossl.testing import make_fake_sen12ms
    make_fake_sen12ms(root, num_patches=samples, size=256, modalities=('s1', 's2'))
    return root


def _mmearth(root: Path, samples: int) -> Path:
    from eossl.testing import make_fake_mmearth
    # the fake's splits keep all but two samples for training
    return make_fake_mmearth(root, num_samples=samples + 2, size=64)


def _mmearth_128(root: Path, samples: int) -> Path:
    from eossl.testing import make_fake_mmearth
    return make_fake_mmearth(root, num_samples=samples + 2, size=128)


@dataclass(frozen=True)
class Method:
    """How to benchmark one method.

    Attributes:
        recipe: the recipe file (relative to the repository).
        make_data: ``(root, samples) → data_root``: writes fake data in the dataset's layout.
        sample: what one training sample holds (one "image" in images/s).
        cpu_options: ``--cfg-options`` that make the recipe CPU-sized.
        options: ``--cfg-options`` applied at every size (e.g. no pretrained file to load).
    """

    recipe: str
    make_data: Callable[[Path, int], Path]
    sample: str
    cpu_options: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)


METHODS = {
    'dual_simclr': Method(
        'configs/dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms.py', _sen12ms,
        'one S1 (2 bands) + one S2 (13 bands) crop; 2 × ResNet-50',
        cpu_options={'train_dataloader.dataset.pipeline.4.size': 64}),
    'softcon': Method(
        'configs/softcon/softcon_vits14_s2_100e_ssl4eo.py', _ssl4eo,
        'two 13-band views (Siamese masking 0.5); ViT-S/14',
        cpu_options={'train_dataloader.dataset.pipeline.1.transforms.0.0.size': 112},
        options={'model.backbone.init_cfg': None}),  # no DINOv2 file needed to time a step
    'pera': Method(
        'configs/pera_vits.py', _ssl4eo,
        'student + teacher views of 2 global and (CPU: 2, recipe: 8) local 13-band crops; ViT-S/16',
        cpu_options={'train_dataloader.dataset.pipeline.1.num_local': 2,
                     'train_dataloader.dataset.pipeline.1.global_crop.size': 96,
                     'train_dataloader.dataset.pipeline.1.local_crop.size': 48,
                     'model.num_local': 2, 'model.head.num_prototypes': 8192}),
    'mpmae': Method(
        'configs/mpmae/mpmae_convnextv2-atto_s2_200e_mmearth-56.py', _mmearth,
        'one 56 px 12-band S2 crop, mask ratio 0.6; ConvNeXt V2 atto (FCMAE)'),
    'mpmae_all': Method(
        'configs/mpmae/mpmae_convnextv2-atto_all-uncertainty_200e_mmearth-112.py', _mmearth_128,
        'one 112 px 12-band S2 crop and its 12 pretext targets; ConvNeXt V2 atto (FCMAE)'),
}


def load_recipe(method: str, recipe: str | None, size: str, data_root: Path,
                cfg_options: dict | None = None) -> Config:
    """The method's recipe (or ``recipe``) with its size options, data root and overrides."""
    spec = METHODS[method]
    cfg = Config.fromfile(REPO / (recipe or spec.recipe))
    options = {**spec.options, **(spec.cpu_options if size == 'cpu' else {}),
               'train_dataloader.dataset.data_root': str(data_root), **(cfg_options or {})}
    cfg.merge_from_dict(options)
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
