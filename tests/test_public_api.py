"""The Python API: every registered component is importable from its package's ``__all__``."""
import importlib
import re

import pytest

from eossl.registry import DATA_SAMPLERS, DATASETS, HOOKS, MODELS, TRANSFORMS

PACKAGES = ('eossl.models', 'eossl.datasets', 'eossl.datasets.transforms', 'eossl.engine',
            'eossl.evaluation', 'eossl.compat', 'eossl.checkpoints', 'eossl.apis')


@pytest.mark.parametrize('package', PACKAGES)
def test_every_exported_name_exists(package):
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert module.__all__ and missing == []


@pytest.mark.parametrize('registry, package', [
    (MODELS, 'eossl.models'), (DATASETS, 'eossl.datasets'), (DATA_SAMPLERS, 'eossl.datasets'),
    (TRANSFORMS, 'eossl.datasets.transforms'), (HOOKS, 'eossl.engine eossl.checkpoints'),
])
def test_registered_components_are_exported(registry, package):
    modules = [importlib.import_module(name) for name in package.split()]
    # by identity: packages also export constants (dicts) next to their classes
    exported = {id(getattr(module, name)) for module in modules for name in module.__all__}
    # classes of the eossl package (projects/ register their own into the same registries)
    registered = {name: cls for name, cls in registry.module_dict.items()
                  if cls.__module__.startswith('eossl.')}
    assert registered, f'nothing registered in {registry.name}'
    assert sorted(n for n, cls in registered.items() if id(cls) not in exported) == []


def test_readme_python_api_example_runs(repo_root):
    readme = (repo_root / 'README.md').read_text().split('## Python API', 1)[1]
    code = re.search(r'```python\n(.*?)```', readme, re.S).group(1)
    scope: dict = {}
    exec(compile(code, 'README.md (Python API)', 'exec'), scope)
    assert type(scope['pera']).__name__ == 'PerA' and scope['features'].shape == (1, 384)
