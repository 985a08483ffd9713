"""Fake data in the on-disk layouts the shipped recipes read, for the benchmark specs.

Each writer is ``(root, samples) → data_root`` with at least ``samples`` training samples; its
name names the cache folder (:func:`methods.fake_data`), so methods reading one layout share it.
"""
from pathlib import Path


def ssl4eo(root: Path, samples: int) -> Path:
    """SSL4EO-S12 S2 L1C: 264 px 13-band GeoTIFFs, one season."""
    from eossl.testing import make_fake_ssl4eo_s12
    # one unlabeled location is written (and excluded by SoftCon), so write one more
    make_fake_ssl4eo_s12(root, num_locations=samples + 1, seasons=1, size=264,
                         modalities=('s2c',))
    return root


def sen12ms(root: Path, samples: int) -> Path:
    """SEN12MS: 256 px S1 (2 bands) and S2 (13 bands) patches."""
    from eossl.testing import make_fake_sen12ms
    make_fake_sen12ms(root, num_patches=samples, size=256, modalities=('s1', 's2'))
    return root


def mmearth(root: Path, samples: int) -> Path:
    """MMEarth h5 with every modality, 64 px tiles."""
    from eossl.testing import make_fake_mmearth
    # the fake's splits keep all but two samples for training
    return make_fake_mmearth(root, num_samples=samples + 2, size=64)


def mmearth_128(root: Path, samples: int) -> Path:
    """MMEarth h5 with every modality, 128 px tiles."""
    from eossl.testing import make_fake_mmearth
    return make_fake_mmearth(root, num_samples=samples + 2, size=128)
