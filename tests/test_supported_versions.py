"""The supported ranges of the core dependencies are declared once (eossl/supported_versions.py);
the wheel's requirements and the README say the same, and the installed stack lies within them."""
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from eossl import supported_versions


def runtime_requirements(repo_root) -> dict[str, SpecifierSet]:
    """requirements/runtime.txt (the wheel's dependencies) as name -> specifier set."""
    lines = (repo_root / 'requirements' / 'runtime.txt').read_text().splitlines()
    requirements = [Requirement(line) for line in lines if line.strip() and
                    not line.startswith(('#', '-'))]
    return {requirement.name: requirement.specifier for requirement in requirements}


def test_runtime_requirements_declare_the_supported_ranges(repo_root):
    declared = runtime_requirements(repo_root)
    for name, supported in supported_versions.RUNTIME_REQUIREMENTS.items():
        assert declared[name] == SpecifierSet(supported), (
            f'requirements/runtime.txt says {name}{declared[name]}, '
            f'eossl/supported_versions.py says {supported}')


def test_readme_states_the_supported_ranges(repo_root):
    readme = ' '.join((repo_root / 'README.md').read_text().split())
    for name in ('mmengine', 'mmcv-lite'):
        spec = sorted(SpecifierSet(supported_versions.RUNTIME_REQUIREMENTS[name]),
                      key=lambda item: item.operator != '>=')
        assert f"{name} ({', '.join(f'{s.operator} {s.version}' for s in spec)})" in readme, name
    assert f'any torch {supported_versions.TORCH.replace(">=", ">= ")} is admitted' in readme


def test_the_installed_stack_is_within_the_ranges():
    for name, supported in supported_versions.RUNTIME_REQUIREMENTS.items():
        found = supported_versions.installed_version(name)
        if name == 'mmcv-lite' and found is None:  # a full, compiled mmcv instead (README)
            name, found = 'mmcv', supported_versions.installed_version('mmcv')
        assert found is not None and supported_versions.within(found, supported), (name, found)
