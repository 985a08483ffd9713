"""eossl.testing ships in the wheel for its users (``--preset cpu-tiny``, ``eossl-benchmark``'s
generated data, the benchmarks, ``python -m eossl.testing.<name>`` in the docs); a helper only the
tests use belongs under tests/ instead (e.g. tests/tiny_checkpoints.py)."""
import re

import pytest

from eossl import testing

USERS = ('eossl/**/*.py', 'benchmarks/**/*.py', 'docs/**/*.md', 'README.md')


def modules(repo_root) -> list[str]:
    """The generator modules of eossl.testing."""
    return sorted(path.stem for path in (repo_root / 'eossl' / 'testing').glob('*.py')
                  if path.stem != '__init__')


def user_texts(repo_root) -> dict[str, str]:
    """Every file outside tests/ and eossl/testing/ that could use a generator, by path."""
    paths = {path for pattern in USERS for path in repo_root.glob(pattern)
             if 'testing' not in path.relative_to(repo_root).parts[:2]
             and '.mim' not in path.parts}
    return {str(path.relative_to(repo_root)): path.read_text() for path in sorted(paths)}


def uses(text: str, module: str) -> bool:
    """``eossl.testing.<module>``, a name it exports from ``eossl.testing``, or its name in the
    docs' list of ``python -m eossl.testing.<name>`` scripts."""
    exported = [name for name, home in testing._EXPORTS.items() if home == module]
    return (f'eossl.testing.{module}' in text
            or any(re.search(rf'from eossl\.testing import[^\n]*\b{name}\b', text)
                   for name in exported)
            or ('eossl.testing.<name>' in text and f'`{module}`' in text))


def test_every_generator_module_has_a_user_outside_the_tests(repo_root):
    texts = user_texts(repo_root)
    used = {module for module in modules(repo_root)
            if any(uses(text, module) for text in texts.values())}
    for module in sorted(used):  # and what those import from their siblings
        source = (repo_root / 'eossl' / 'testing' / f'{module}.py').read_text()
        used.update(re.findall(r'^from \.(\w+) import', source, flags=re.MULTILINE))
    unused = sorted(set(modules(repo_root)) - used)
    assert not unused, (f'eossl.testing modules only the tests use: {unused}; move them under '
                        'tests/ so that they do not ship in the wheel')


@pytest.mark.parametrize('name', sorted(testing._EXPORTS))
def test_exports_resolve(name):
    assert callable(getattr(testing, name))
