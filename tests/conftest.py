"""Fixtures shared by the whole suite."""
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / 'shared' / 'data'
BIGEARTHNET_EXAMPLE = SHARED_DATA / 'bigearthnet_v1_example'


@pytest.fixture(scope='session')
def repo_root() -> Path:
    """The eossl checkout (tools/ and configs/ live here)."""
    return REPO_ROOT


@pytest.fixture(scope='session')
def bigearthnet_example() -> Path:
    """The six real BigEarthNet v1 S1/S2 patch pairs shipped beside the project."""
    if not BIGEARTHNET_EXAMPLE.is_dir():
        pytest.fail(f'{BIGEARTHNET_EXAMPLE} is missing: the real sample data must sit in '
                    '../shared/data (see its README)')
    return BIGEARTHNET_EXAMPLE
