"""The ``eossl_config_lookup.pth`` start-up hook runs in every interpreter of an environment that
has eossl: it must stay out of the way unless an ``eossl::`` name is asked for, and step aside
entirely on an mmengine outside eossl's supported range."""
import os
import subprocess
import sys

# Pretends the installed mmengine is 0.11.0 (outside the range), before the hook is imported.
FAKE_MMENGINE = (
    'import importlib.metadata as metadata\n'
    'real = metadata.version\n'
    "metadata.version = lambda name: '0.11.0' if name == 'mmengine' else real(name)\n")


def run_with_hook(script: str, cwd, repo_root) -> str:
    """Run ``script`` in a fresh interpreter that has imported the hook; return its stdout."""
    done = subprocess.run([sys.executable, '-c', script], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, 'PYTHONPATH': str(repo_root)})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_other_configs_load_without_importing_eossl(tmp_path, repo_root):
    """A plain file and an ``mmpretrain::`` base resolve as mmengine alone would resolve them."""
    (tmp_path / 'plain.py').write_text('x = 1\n')
    (tmp_path / 'user.py').write_text("_base_ = ['mmpretrain::_base_/default_runtime.py']\n")
    out = run_with_hook(
        'import sys, eossl_config_lookup\n'
        'from mmengine.config import Config\n'
        "assert Config.fromfile('plain.py').x == 1\n"
        "print(Config.fromfile('user.py').default_scope)\n"
        "print('eossl' in sys.modules, 'torch' in sys.modules)\n", tmp_path, repo_root)
    assert out.splitlines() == ['mmpretrain', 'False False']


def test_steps_aside_on_an_unsupported_mmengine(tmp_path, repo_root):
    """Outside the range nothing of mmengine is wrapped and eossl is never imported: an
    ``eossl::`` name fails as it would without eossl (mmengine's own error)."""
    out = run_with_hook(
        FAKE_MMENGINE + 'import sys, eossl_config_lookup\n'
        'from mmengine.config import Config\n'
        "print(hasattr(Config.fromfile, '__wrapped__'), eossl_config_lookup.mmengine_supported())\n"
        'try:\n'
        "    Config.fromfile('eossl::pera_vits.py')\n"
        'except Exception as error:\n'
        "    print(type(error).__name__)\n"
        "print('eossl' in sys.modules)\n", tmp_path, repo_root)
    assert out.splitlines() == ['False False', 'FileNotFoundError', 'False']


def test_wraps_config_on_the_supported_mmengine(tmp_path, repo_root):
    """The other side of the guard: on the installed (supported) mmengine the hook is active."""
    out = run_with_hook('import eossl_config_lookup\n'
                        'from mmengine.config import Config\n'
                        "print(hasattr(Config.fromfile, '__wrapped__'))\n", tmp_path, repo_root)
    assert out == 'True'
