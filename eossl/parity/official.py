"""Import pieces of an official repository from a local checkout without running its set-up.

The official repositories are not installable packages and import CUDA-only libraries
(xformers, MinkowskiEngine) and loggers (wandb, tensorboard) at module level. This module
registers empty *path-only* packages for their folders (so ``pkg.sub.module`` imports without
executing ``pkg/__init__.py``) and import-only stand-ins for the missing libraries; the code
under test runs unchanged. Nothing of the official code is copied.
"""
import os
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import numpy as np


def checkout(path: str) -> tuple[Path, str]:
    """``(source folder, commit)`` of a git checkout or a bare repository (``git archive``d)."""
    root = Path(path)
    if (root / '.git').exists():
        commit = subprocess.run(['git', '-C', str(root), 'rev-parse', 'HEAD'], check=True,
                                capture_output=True, text=True).stdout.strip()
        return root, commit
    if (root / 'objects').is_dir() and (root / 'HEAD').is_file():
        git = ['git', '--git-dir', str(root)]
        commit = subprocess.run(git + ['rev-parse', 'HEAD'], check=True, capture_output=True,
                                text=True).stdout.strip()
        target = Path(tempfile.mkdtemp(prefix=f'parity-{root.parent.name}-'))
        archive = subprocess.run(git + ['archive', 'HEAD'], check=True, capture_output=True)
        subprocess.run(['tar', '-x', '-C', str(target)], input=archive.stdout, check=True)
        return target, commit
    raise FileNotFoundError(f'{path}: expected a git checkout (with .git) or a bare git '
                            'repository (with HEAD and objects/)')


def path_package(name: str, folder: Path) -> None:
    """Register ``name`` as a package whose modules live in ``folder``, skipping its __init__."""
    module = types.ModuleType(name)
    module.__path__ = [str(folder)]
    sys.modules[name] = module


class _Placeholder:
    """Stands for a class of a missing library; only constructing it is an error."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError(f'{type(self).__name__} is an import-only stand-in')


def stub_library(name: str, **attributes) -> None:
    """Register module ``name`` whose every other attribute is a placeholder class."""
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    module.__getattr__ = lambda attr: type(attr, (_Placeholder,), {})  # type: ignore[method-assign]  # PEP 562
    sys.modules[name] = module


def prepare(pydeps: str | None) -> None:
    """Put the official code's pinned dependencies first and stub the missing libraries."""
    if pydeps:
        sys.path.insert(0, pydeps)
    os.environ['XFORMERS_DISABLED'] = '1'  # DINOv2 layers then take their pure-torch paths
    for name in ('MinkowskiEngine', 'MinkowskiOps', 'wandb'):
        stub_library(name)
    stub_library('torch.utils.tensorboard')


def arrays(**values) -> dict[str, np.ndarray]:
    """Tensors / numbers → float32 (int64 for integer tensors) numpy arrays for ``np.savez``."""
    out = {}
    for key, value in values.items():
        array = np.asarray(value.detach().cpu().numpy() if hasattr(value, 'detach') else value)
        out[key] = array.astype(np.float32) if array.dtype.kind == 'f' else array
    return out
