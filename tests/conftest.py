"""Fixtures shared by the whole suite."""
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config) -> None:
    """Under pytest-xdist (``-n N``), give each of the N workers its share of the cores for
    torch's intra-op threads: N workers with a thread per core each would oversubscribe them."""
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '0'))
    if workers:
        import torch
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


@pytest.hookimpl(trylast=True)  # after -m has deselected
def pytest_collection_modifyitems(items: list) -> None:
    """Under pytest-xdist, tests marked ``weight(seconds)`` (multi-process runs of 20 s or more)
    start first, spread over the workers so that a parallel run does not end with one core idle
    while the other finishes one of them (at the end of collection they made the tail of both
    CI steps). xdist's ``load`` scheduling gives each worker a first chunk of consecutive tests
    (``len(items) // workers // 4``, at least 2); each heavy test, heaviest first, goes to the
    head of the chunk whose heavy tests weigh least. Collection stays deterministic, as xdist
    requires; a change in xdist's chunking only makes the spread less even."""
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '0'))

    def weight(item) -> float:
        marker = item.get_closest_marker('weight')
        return marker.args[0] if marker else 0.0

    heavy = sorted((item for item in items if weight(item)), key=weight, reverse=True)
    chunk = max(len(items) // max(workers, 1) // 4, 2)
    if workers < 2 or not heavy or len(heavy) > workers * chunk:
        return
    heads: list[list] = [[] for _ in range(workers)]
    for item in heavy:
        min(heads, key=lambda head: sum(map(weight, head))).append(item)
    rest = iter([item for item in items if not weight(item)])
    ordered = []
    for head in heads:
        ordered += head + [item for _, item in zip(range(chunk - len(head)), rest)]
    items[:] = ordered + list(rest)


@pytest.fixture(scope='session')
def repo_root() -> Path:
    """The eossl checkout (tools/ and configs/ live here)."""
    return REPO_ROOT


@pytest.fixture(scope='session')
def bigearthnet_example(tmp_path_factory) -> Path:
    """The six real BigEarthNet v1 S1/S2 patch pairs of the ``bigearthnet-common`` package,
    extracted once per session (``BigEarthNet-S1-Example/``, ``BigEarthNet-S2-Example/``)."""
    from eossl.cli.bigearthnet_example import extract_bigearthnet_example

    root = tmp_path_factory.mktemp('bigearthnet_example')
    extract_bigearthnet_example(root)
    return root


@pytest.fixture(autouse=True)
def eossl_default_scope():
    """Run every test under the ``eossl`` default scope and undo any scope a test creates.

    mmengine keeps the default scope in a process-wide registry of instances (a Runner built in
    one test would otherwise decide which registry an unprefixed ``type=`` resolves in for every
    later test).
    """
    from mmengine.registry import DefaultScope

    import eossl  # noqa: F401  (registers every component, installs eossl.compat)
    with DefaultScope.overwrite_default_scope('eossl'):
        yield


@pytest.fixture(scope='module')
def one_torch_thread():
    """One intra-op thread for a module (``pytest.mark.usefixtures('one_torch_thread')``): tiny
    float64 steps run ~5× faster than with spinning workers on a shared 2-core machine; the
    previous count is restored."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
