"""Packaging: metadata never depends on the build machine, wheels carry recipes and commands."""
import configparser
import shutil
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest

from eossl.cli import console

# What a build reads: pyproject.toml and the files it names (no setup.py, nothing probed).
SOURCES = ('pyproject.toml', 'setup.py', 'MANIFEST.in', 'README.md', 'requirements', 'eossl',
           'eossl_config_lookup.py', 'eossl_config_lookup.pth', 'configs', 'tools')


def build_wheel(repo_root: Path, work: Path, extra_path: Path | None = None) -> Path:
    """Build a wheel of a copy of the checkout (the checkout itself stays untouched).

    ``extra_path`` goes on the build's ``PYTHONPATH``, e.g. a folder holding a fake
    ``mmcv-*.dist-info`` so that the build machine looks like it has a full mmcv.
    """
    source = work / 'source'
    source.mkdir(parents=True)
    for name in SOURCES:
        src = repo_root / name
        if src.is_dir():
            shutil.copytree(src, source / name, symlinks=True,
                            ignore=shutil.ignore_patterns('__pycache__', '*.egg-info'))
        else:
            shutil.copy2(src, source / name)
    env = {'PATH': str(Path(sys.executable).parent), 'HOME': str(work)}
    if extra_path is not None:
        env['PYTHONPATH'] = str(extra_path)
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-build-isolation', '--no-deps',
                    '--wheel-dir', str(work / 'dist'), str(source)],
                   check=True, capture_output=True, env=env)
    return next((work / 'dist').glob('eossl-*.whl'))


def wheel_text(wheel: Path, member: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(f'.dist-info/{member}'))
        return archive.read(name).decode()


def fake_full_mmcv(folder: Path) -> Path:
    """A folder whose only content is the dist-info of a full mmcv 2.1.0."""
    info = folder / 'mmcv-2.1.0.dist-info'
    info.mkdir(parents=True)
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: mmcv\nVersion: 2.1.0\n')
    return folder


@pytest.mark.slow
def test_wheel_metadata_is_the_same_with_and_without_a_full_mmcv(repo_root, tmp_path):
    fake = fake_full_mmcv(tmp_path / 'fake_site')
    probe = subprocess.run([sys.executable, '-c', 'from importlib.metadata import version; '
                            'print(version("mmcv"))'], env={'PYTHONPATH': str(fake)},
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == '2.1.0'  # the fake is what a build probe would see

    plain = build_wheel(repo_root, tmp_path / 'plain')
    with_mmcv = build_wheel(repo_root, tmp_path / 'with_mmcv', extra_path=fake)
    for member in ('METADATA', 'entry_points.txt'):
        assert wheel_text(plain, member) == wheel_text(with_mmcv, member)
    requires = [line for line in wheel_text(plain, 'METADATA').splitlines()
                if line.startswith('Requires-Dist: mmcv')]
    assert requires == ['Requires-Dist: mmcv-lite<2.2.0,>=2.0.0']

    with zipfile.ZipFile(plain) as archive:
        shipped = {n.removeprefix('eossl/.mim/') for n in archive.namelist()
                   if n.startswith('eossl/.mim/')}
    recipes = {p.relative_to(repo_root).as_posix() for p in (repo_root / 'configs').rglob('*.py')}
    assert recipes and recipes <= shipped
    assert {'tools/train.py', 'tools/test.py', 'tools/dist_train.sh'} <= shipped
    with zipfile.ZipFile(plain) as archive:  # the start-up hook sits at site-packages' root
        assert archive.read('eossl_config_lookup.pth').decode().strip() == \
            'import eossl_config_lookup'
        assert 'eossl_config_lookup.py' in archive.namelist()

    scripts = configparser.ConfigParser()
    scripts.read_string(wheel_text(plain, 'entry_points.txt'))
    modules = {p.stem for p in (repo_root / 'eossl' / 'cli').glob('*.py')} - {'__init__', 'console'}
    targets = dict(scripts['console_scripts'])
    assert sorted(v.removeprefix('eossl.cli.console:') for v in targets.values()) == \
        sorted(modules)  # one installed command per module of eossl/cli/
    assert all(callable(getattr(console, module)) for module in modules)
    assert targets['eossl-train'] == 'eossl.cli.console:train'


@pytest.mark.parametrize('result, status', [({'metrics': 1.0}, 0), (None, 0), (0, 0), (1, 1),
                                            (True, 0)])
def test_console_entry_turns_results_into_exit_statuses(monkeypatch, result, status):
    fake = types.ModuleType('eossl.cli.fake_command')
    fake.main = lambda: result
    monkeypatch.setitem(sys.modules, 'eossl.cli.fake_command', fake)
    assert console.run('fake_command') == status


def test_readme_gives_cpu_only_users_the_cpu_wheels_of_the_tested_torch(repo_root: Path):
    """Beside the two commands: the CPU-wheel install, pinned to the torch CI tests with."""
    import re
    readme = (repo_root / 'README.md').read_text()
    two_commands = readme.split('## Two commands', 1)[1].split('\n## ', 1)[0]
    cpu = re.search(r'pip install (torch==\S+ torchvision==\S+) --index-url '
                    r'https://download\.pytorch\.org/whl/cpu', two_commands)
    assert cpu, 'no CPU-wheel command in the "Two commands" section'
    assert cpu[1] in (repo_root / '.ci' / 'run').read_text()  # the pins CI installs
