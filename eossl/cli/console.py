"""Entry points of the installed commands: ``eossl-<name>`` runs ``eossl.cli.<name>.main``.

Why a layer: a console script calls ``sys.exit(main())``. Several ``main`` functions return their
result to Python callers and tests (the statistics of ``compute_band_stats``, the metadata of
``extract_backbone``, the metrics of ``knn_probe``, the summary of ``predict_scene``), and
``sys.exit`` would print such a dict to stderr and exit with status 1 after a successful run.
:func:`run` keeps an integer result as the exit status (``pack_shards --verify``) and maps
everything else to 0. One function per command; ``tests/test_packaging.py`` checks that every
module of ``eossl/cli`` has one and that ``pyproject.toml`` names it.
"""
import importlib


def run(module: str) -> int:
    """Run ``eossl.cli.<module>.main()`` on ``sys.argv`` and return the exit status."""
    result = importlib.import_module(f'eossl.cli.{module}').main()
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
    return run('eossl_to_softcon')


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


def benchmark() -> int:
    """``eossl-benchmark``."""
    return run('benchmark')
