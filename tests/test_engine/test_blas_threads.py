"""limit_openblas_threads: one OpenBLAS thread in the process, its forked and spawned children."""
import json
import os
import subprocess
import sys

import pytest

# Runs in a fresh interpreter: numpy (and so OpenBLAS) is loaded before the limit, as it is in
# the installed ``eossl-train`` (``import eossl`` imports numpy before main runs).
SCRIPT = """
import json
import multiprocessing as mp
import os

import numpy  # noqa: F401
from threadpoolctl import threadpool_info


def openblas_threads():
    return [i['num_threads'] for i in threadpool_info() if i['internal_api'] == 'openblas']


def report(queue):
    queue.put((openblas_threads(), os.environ.get('OPENBLAS_NUM_THREADS')))


def child(method):
    context = mp.get_context(method)
    queue = context.Queue()
    process = context.Process(target=report, args=(queue, ))
    process.start()
    result = queue.get(timeout=30)
    process.join()
    return result


if __name__ == '__main__':
    from eossl.cli.launch.blas_threads import limit_openblas_threads
    before = openblas_threads()  # every OpenBLAS loaded so far (numpy's, other packages')
    limit_openblas_threads()
    print(json.dumps([before, openblas_threads(), child('fork'), child('spawn')]))
"""


def run(tmp_path, env_threads: str | None) -> list:
    """``[OpenBLAS threads before, after, (forked child's, its variable), (spawned child's, ...)]``
    with ``OPENBLAS_NUM_THREADS`` unset or set to ``env_threads``."""
    # OpenBLAS falls back to OMP_NUM_THREADS / GOTO_NUM_THREADS: unset them all
    env = {k: v for k, v in os.environ.items()
           if k not in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'GOTO_NUM_THREADS')}
    if env_threads is not None:
        env['OPENBLAS_NUM_THREADS'] = env_threads
    script = tmp_path / 'blas_threads_probe.py'  # a file: spawned children re-import it
    script.write_text(SCRIPT)
    out = subprocess.run([sys.executable, str(script)], env=env, check=True, timeout=120,
                          capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return json.loads(out)


@pytest.mark.slow  # two fresh interpreters importing eossl, ~15 s each
def test_limits_the_loaded_openblas_and_the_workers(tmp_path):
    before, after, forked, spawned = run(tmp_path, None)
    if os.cpu_count() > 1:
        assert min(before) > 1  # OpenBLAS loaded with one thread per core: a limit to set
    assert after == [1] * len(before) and forked == [after, '1']
    assert spawned[1] == '1' and set(spawned[0]) == {1}


@pytest.mark.slow
def test_an_explicit_setting_wins(tmp_path):
    before, after, forked, spawned = run(tmp_path, '2')
    assert set(before) == {2} and after == before and forked == [after, '2']
    assert spawned[1] == '2' and set(spawned[0]) == {2}
