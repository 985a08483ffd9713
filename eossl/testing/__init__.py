"""Seeded generators of tiny fake datasets in each dataset's exact on-disk layout.

Each generator is also a script: ``python -m eossl.testing.<name> OUT_DIR``. They ship in the
wheel because users run them: ``--preset cpu-tiny`` trains on them, ``eossl-benchmark`` generates
its smoke data with them, the docs and benchmarks call them. Helpers only the tests use live under
``tests/`` (a test checks that every module here has a user outside the tests).
"""
import importlib

# Exported lazily: importing the generator modules here would make ``python -m
# eossl.testing.<name>`` warn that the module was imported before being run as __main__.
_EXPORTS = {
    'make_fake_bigearthnet': 'bigearthnet',
    'make_fake_bigearthnet_v2': 'bigearthnet_v2',
    'make_fake_scene': 'scenes',
    'make_fake_sen12ms': 'sen12ms',
    'make_fake_geotiff_folder': 'geotiff_folder',
    'write_geotiff': 'geotiff_folder',
    'make_fake_mmearth': 'mmearth',
    'make_fake_ssl4eo_s12': 'ssl4eo_s12',
    'make_fake_eurosat': 'eurosat',
    'make_fake_dfc2020': 'dfc2020',
    'make_fake_copernicus_bench': 'copernicus_bench',
    'make_fake_geobench': 'geobench',
    'make_scenes': 'structured_scenes',
    'make_structured_ssl4eo_s12': 'structured_layouts',
    'make_structured_sen12ms': 'structured_layouts',
    'make_structured_mmearth': 'structured_layouts',
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    """Import the generator module that defines ``name`` on first access."""
    if name not in _EXPORTS:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module(f'.{_EXPORTS[name]}', __name__), name)
