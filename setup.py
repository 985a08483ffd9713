"""Package metadata for eossl; dependency lists live in requirements/."""
from importlib import metadata
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def read_requirements(name: str) -> list[str]:
    """Requirement lines of ``requirements/<name>.txt`` without comments.

    ``mmcv-lite`` is dropped when a full ``mmcv`` is installed: both provide the ``mmcv``
    module, and a user's compiled build must win.
    """
    lines = (HERE / 'requirements' / f'{name}.txt').read_text().splitlines()
    reqs = [line.strip() for line in lines if line.strip() and not line.startswith('#')]
    try:
        metadata.version('mmcv')
        reqs = [r for r in reqs if not r.startswith('mmcv-lite')]
    except metadata.PackageNotFoundError:
        pass
    return reqs


def read_version() -> str:
    """The version string from ``eossl/version.py`` without importing the package."""
    scope: dict = {}
    exec((HERE / 'eossl' / 'version.py').read_text(), scope)
    return scope['__version__']


setup(
    name='eossl',
    version=read_version(),
    description='Self-supervised pretraining for Earth observation imagery on OpenMMLab 2.x',
    long_description=(HERE / 'README.md').read_text(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.10',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools', 'benchmarks')),
    include_package_data=True,
    install_requires=read_requirements('runtime'),
    extras_require={
        'tests': read_requirements('tests') + read_requirements('optional'),
        'optional': read_requirements('optional'),
    },
    zip_safe=False,
)
