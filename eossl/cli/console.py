"""Entry points of the installed commands: ``eossl-<name>`` runs ``eossl.cli.<name>.main``.

Why a layer: a console script calls ``sys.exit(main())``. Several ``main`` functions return their
result to Python callers and tests (the statistics of ``compute_band_stats``, the metadata of
``extract_backbone``, the metrics of ``knn_probe``, the summary of ``predict_scene``), and
``sys.exit`` would print such a dict to stderr and exit with status 1 after a successful run.
:func:`run` keeps an integer result as the exit status (``pack_shards --verify``) and maps
everything else to 0. One function per command; ``tests/test_packaging.py`` checks that every
module of ``eossl/cli`` has one and that ``pyproject.toml`` names it.

User errors (a missing or malformed file, a wrong field or value: the exceptions of
:data:`USER_ERRORS`) print one line ``eossl-<cmd>: error: …`` to stderr and exit with status 2,
as pip, git and gdal do; ``--debug`` (anywhere on the command line, removed before the command
parses it) or ``EOSSL_DEBUG=1`` shows the traceback instead. Other exceptions are bugs and keep
their traceback.
"""
import importlib
import os
import sys

# a bad file, field or value; SyntaxError: a recipe that is not valid Python
USER_ERRORS = (ValueError, LookupError, OSError, ImportError, SyntaxError)
# eossl's own user errors that derive from RuntimeError (a corrupt or missing checkpoint)
USER_ERROR_NAMES = ('CorruptCheckpointError', )
DEBUG_FLAG, DEBUG_ENV = '--debug', 'EOSSL_DEBUG'


def error_line(command: str, err: BaseException) -> str:
    """``eossl-<cmd>: error: <message>`` on one line (a KeyError's message unquoted)."""
    text = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
    text = ' '.join(str(text).split()) or type(err).__name__
    return f'{command}: error: {text}'


def run(module: str, command: str | None = None) -> int:
    """Run ``eossl.cli.<module>.main()`` on ``sys.argv`` and return the exit status."""
    command = command or 'eossl-' + module.replace('_', '-')
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


def train() -> int:
    """``eossl-train``."""
    return run('train')


def test() -> int:
    """``eossl-test``."""
    return run('test')


def dist_train() -> int:
    """``eossl-dist-train``."""
    return run('dist_train')


def knn_probe() -> int:
    """``eossl-knn-probe``."""
    return run('knn_probe')


def print_config() -> int:
    """``eossl-print-config``."""
    return run('print_config')


def list_recipes() -> int:
    """``eossl-list-recipes``."""
    return run('list_recipes')


def visualize_mpmae() -> int:
    """``eossl-visualize-mpmae``."""
    return run('visualize_mpmae')


def predict_scene() -> int:
    """``eossl-predict-scene``."""
    return run('predict_scene')


def bigearthnet_example() -> int:
    """``eossl-bigearthnet-example``."""
    return run('bigearthnet_example')


def compute_band_stats() -> int:
    """``eossl-compute-band-stats``."""
    return run('compute_band_stats')


def pack_shards() -> int:
    """``eossl-pack-shards``."""
    return run('pack_shards')


def extract_backbone() -> int:
    """``eossl-extract-backbone``."""
    return run('extract_backbone')


def softcon_to_eossl() -> int:
    """``eossl-softcon-to-eossl``."""
    return run('softcon_to_eossl')


def eossl_to_softcon() -> int:
    """``eossl-to-softcon``."""
    return run('eossl_to_softcon', 'eossl-to-softcon')


def mmearth_to_eossl() -> int:
    """``eossl-mmearth-to-eossl``."""
    return run('mmearth_to_eossl')


def parity_references() -> int:
    """``eossl-parity-references``."""
    return run('parity_references')


def pca_features() -> int:
    """``eossl-pca-features``."""
    return run('pca_features')


def plot_curves() -> int:
    """``eossl-plot-curves``."""
    return run('plot_curves')


def visualize_contrastive() -> int:
    """``eossl-visualize-contrastive``."""
    return run('visualize_contrastive')


def visualize_pera() -> int:
    """``eossl-visualize-pera``."""
    return run('visualize_pera')


def fit_wavelength_stem() -> int:
    """``eossl-fit-wavelength-stem``."""
    return run('fit_wavelength_stem')


def list_weights() -> int:
    """``eossl-list-weights``."""
    return run('list_weights')


def export() -> int:
    """``eossl-export``."""
    return run('export')


def benchmark() -> int:
    """``eossl-benchmark``."""
    return run('benchmark')
