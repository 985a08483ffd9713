"""Entry points of the installed commands: ``eossl-<name>`` runs ``eossl.cli.<name>.main``.

A command is declared once, as its module ``eossl/cli/<module>.py`` (with ``main``): everything
else is generated from the modules found there — the command names (:func:`command_name`), the
console scripts the wheel installs (``setup.py`` reads :func:`console_scripts`) and their entry
points, ``eossl.cli.console.<module>`` (module ``__getattr__``). ``python -m eossl.cli.<module>``
runs the same ``main`` from a checkout.

Why a layer: a console script calls ``sys.exit(main())``. Several ``main`` functions return their
result to Python callers and tests (the statistics of ``compute_band_stats``, the metadata of
``extract_backbone``, the metrics of ``knn_probe``, the summary of ``predict_scene``), and
``sys.exit`` would print such a dict to stderr and exit with status 1 after a successful run.
:func:`run` keeps an integer result as the exit status (``pack_shards --verify``) and maps
everything else to 0. ``tests/test_packaging.py`` checks that the wheel installs one command per
module of ``eossl/cli``.

User errors (a missing or malformed file, a wrong field or value: the exceptions of
:data:`USER_ERRORS`) print one line ``eossl-<cmd>: error: …`` to stderr and exit with status 2,
as pip, git and gdal do; ``--debug`` (anywhere on the command line, removed before the command
parses it) or ``EOSSL_DEBUG=1`` shows the traceback instead. Other exceptions are bugs and keep
their traceback.
"""
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

# a bad file, field or value; SyntaxError: a recipe that is not valid Python
USER_ERRORS = (ValueError, LookupError, OSError, ImportError, SyntaxError)
# eossl's own user errors that derive from RuntimeError (a corrupt or missing checkpoint)
USER_ERROR_NAMES = ('CorruptCheckpointError', )
DEBUG_FLAG, DEBUG_ENV = '--debug', 'EOSSL_DEBUG'


def command_name(module: str) -> str:
    """``eossl-`` and the module's name with dashes, without repeating a leading ``eossl_``
    (``knn_probe`` → ``eossl-knn-probe``, ``eossl_to_softcon`` → ``eossl-to-softcon``)."""
    return 'eossl-' + module.removeprefix('eossl_').replace('_', '-')


def command_modules() -> list[str]:
    """Every command's module: the ``*.py`` files of ``eossl/cli`` but this one and ``__init__``
    (read from the folder, so that ``setup.py`` can call it without importing eossl)."""
    return sorted(path.stem for path in Path(__file__).parent.glob('*.py')
                  if path.stem not in ('__init__', 'console'))


def console_scripts() -> list[str]:
    """The wheel's console scripts: ``eossl-<cmd> = eossl.cli.console:<module>``."""
    return [f'{command_name(module)} = eossl.cli.console:{module}'
            for module in command_modules()]


def error_line(command: str, err: BaseException) -> str:
    """``eossl-<cmd>: error: <message>`` on one line (a KeyError's message unquoted)."""
    text = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
    text = ' '.join(str(text).split()) or type(err).__name__
    return f'{command}: error: {text}'


def run(module: str, command: str | None = None) -> int:
    """Run ``eossl.cli.<module>.main()`` on ``sys.argv`` and return the exit status."""
    command = command or command_name(module)
    debug = DEBUG_FLAG in sys.argv[1:] or os.environ.get(DEBUG_ENV, '') not in ('', '0')
    sys.argv = [sys.argv[0]] + [a for a in sys.argv[1:] if a != DEBUG_FLAG]
    try:
        result = importlib.import_module(f'eossl.cli.{module}').main()
    except Exception as err:  # noqa: BLE001 - re-raised unless it is a user error
        if debug or not (isinstance(err, USER_ERRORS)
                         or type(err).__name__ in USER_ERROR_NAMES):
            raise
        print(f'{error_line(command, err)} ({DEBUG_FLAG} or {DEBUG_ENV}=1: traceback)',
              file=sys.stderr)
        return 2
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def __getattr__(name: str) -> Callable[[], int]:
    """``eossl.cli.console.<module>``: the console-script entry point of that command."""
    if name not in command_modules():
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

    def entry() -> int:
        return run(name)

    entry.__name__ = entry.__qualname__ = name
    entry.__doc__ = f'``{command_name(name)}``: runs ``eossl.cli.{name}.main``.'
    return entry
