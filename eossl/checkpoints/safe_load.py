"""Load mmengine checkpoints under torch's ``weights_only=True`` default; refuse the rest clearly.

Why: since torch 2.6, ``torch.load`` defaults to ``weights_only=True`` and unpickles only
allowlisted globals. mmengine (up to 0.10.7 at least) calls ``torch.load(filename,
map_location=...)`` and its checkpoints pickle the MessageHub's ``HistoryBuffer`` objects (numpy
arrays of logged values, plus their statistics methods pickled as ``getattr(HistoryBuffer,
'min')``) and numpy scalars such as the ``eta`` runtime info, so ``Runner.resume`` fails. We
allowlist exactly those globals and keep ``weights_only`` on; any other global makes mmengine's
local loader raise :class:`UnsafeCheckpointError`, naming the file and the refused globals.
Remove once mmengine allowlists its own checkpoint contents.

:func:`safe_torch_load` is the one place eossl calls ``torch.load`` (a test scans ``eossl/`` and
``tools/`` for any other call): it verifies the checkpoint's integrity record first (see
:mod:`.integrity`) and turns refusals and unreadable archives into errors naming the
file.
"""
import os
import os.path as osp
import pickle
import types
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from eossl.supported_versions import MMENGINE, require

from .integrity import CorruptCheckpointError, verify_checkpoint

# mmengine logs Python floats/ints (float64/int64 arrays); 32-bit ones come from numpy scalars
# users log. A dtype's class must be allowlisted for the unpickler to BUILD the dtype object.
_LOGGED_DTYPES = ('float64', 'float32', 'int64', 'int32')


def _history_buffer_method(owner: Any, name: str) -> Callable:
    """Stand-in for ``builtins.getattr`` in checkpoints: resolves only ``HistoryBuffer.<method>``.

    ``HistoryBuffer.__getstate__`` stores its statistics methods, which pickle by reference as
    ``getattr(HistoryBuffer, 'mean')``. The real ``getattr`` must never be allowlisted: chained
    on allowlisted objects it reaches e.g. a function's ``__globals__`` and thus any callable.
    """
    method = vars(HistoryBuffer).get(name) if owner is HistoryBuffer else None
    if name.startswith('_') or not isinstance(method, types.FunctionType):
        raise pickle.UnpicklingError(f'getattr({owner!r}, {name!r}) is not allowed; only public '
                                     'HistoryBuffer methods may be looked up in a checkpoint')
    return method


def _safe_globals() -> list[Callable | tuple[Callable, str]]:
    """Everything an mmengine checkpoint pickles beyond torch's defaults, and nothing more.

    numpy's ``_reconstruct``/``scalar`` are listed under their numpy >= 2 and numpy 1.x module
    paths, so checkpoints written with either numpy load.
    """
    # The functions numpy's own __reduce__ names, found without importing private modules.
    reconstruct, scalar = np.ndarray(0).__reduce__()[0], np.float64(0).__reduce__()[0]
    numpy_functions = [(function, f'{module}.{function.__name__}')
                       for function in (reconstruct, scalar)
                       for module in ('numpy._core.multiarray', 'numpy.core.multiarray')]
    dtype_classes = [type(np.dtype(name)) for name in _LOGGED_DTYPES]
    return [HistoryBuffer, np.ndarray, np.dtype, *dtype_classes, *numpy_functions,
            (_history_buffer_method, 'builtins.getattr')]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint was refused: unpickling it needs a global outside the weights-only allowlist.

    Subclasses ``pickle.UnpicklingError`` (what ``torch.load`` raises) so existing handlers
    still catch it.
    """


def _refusal_message(filename: str, error: pickle.UnpicklingError) -> str:
    """Say which file was refused, for which globals, why, and what to do instead."""
    try:
        refused = sorted(torch.serialization.get_unsafe_globals_in_checkpoint(filename))
    except (ValueError, RuntimeError, OSError):  # e.g. a legacy (non-zip) torch.save file
        refused = []
    reason = (f'it pickles globals outside the allowlist: {", ".join(refused)}'
              if refused else f'the weights-only unpickler rejected it ({error})')
    return (f'Refused to load checkpoint {filename!r} for safety: {reason}. Unpickling arbitrary '
            'globals can run arbitrary code, so eossl keeps torch.load(weights_only=True). '
            'A checkpoint in a foreign layout (another codebase\'s pretrained weights) should be '
            'converted once with the matching command (eossl-softcon-to-eossl, '
            'eossl-mmearth-to-eossl), which writes plain tensors.')


def safe_torch_load(filename: str | os.PathLike, map_location: Any = 'cpu', *,
                    extra_globals: Iterable[Callable | tuple[Callable, str]] = ()) -> Any:
    """``torch.load(weights_only=True)`` with eossl's allowlist, after an integrity check.

    Args:
        filename: a local checkpoint file (or sharded folder's record-bearing path).
        map_location: as ``torch.load``.
        extra_globals: further harmless globals this caller's format pickles (e.g. the
            ``argparse.Namespace`` of official MMEarth checkpoints), allowed for this call only.

    Raises:
        CorruptCheckpointError: the file fails its integrity record or is not a whole archive.
        UnsafeCheckpointError: unpickling it needs a global outside the allowlist.
    """
    filename = osp.expanduser(os.fspath(filename))
    verify_checkpoint(filename)
    try:
        with torch.serialization.safe_globals(list(extra_globals)):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        raise UnsafeCheckpointError(_refusal_message(filename, error)) from error
    except (RuntimeError, EOFError) as error:  # torch's zip reader on a damaged file
        raise CorruptCheckpointError(f'checkpoint {filename} cannot be read: {error}') from error


def load_from_local(filename: str, map_location: Any = None) -> Any:
    """mmengine's local-file checkpoint loader, through :func:`safe_torch_load`.

    Named like mmengine's loader because ``CheckpointLoader`` logs ``__name__[10:]`` ("local").

    Raises:
        FileNotFoundError: no such file (mmengine's own error).
        CorruptCheckpointError: see :func:`safe_torch_load`.
        UnsafeCheckpointError: the file pickles a global that is not allowlisted.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return safe_torch_load(filename, map_location)


def install_checkpoint_safety() -> None:
    """Allowlist mmengine's checkpoint globals; route local files via :func:`load_from_local`.

    Covers every mmengine entry point (``load_checkpoint``, ``_load_checkpoint``,
    ``CheckpointLoader.load_checkpoint``, ``Runner.resume``/``load_from``): they all resolve the
    loader from ``CheckpointLoader``'s scheme table at call time. Idempotent.

    Raises:
        UnsupportedVersionError: mmengine outside the releases this was written for.
    """
    require('mmengine CheckpointLoader local-file loader (eossl.checkpoints.safe_load)',
            'mmengine', MMENGINE)
    torch.serialization.add_safe_globals(_safe_globals())
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)
