"""One OpenBLAS thread per process for the training and testing commands.

Why: numpy's OpenBLAS starts one thread per core in every process, DataLoader workers included.
eossl's transforms do no large BLAS work, and the oversubscription cost PerA's data pipeline
2.7x (benchmarks/README.md). OpenBLAS reads ``OPENBLAS_NUM_THREADS`` only when it loads, and an
installed command (``eossl-train``) imports ``eossl`` — and so numpy — before its ``main`` runs,
so setting the variable there is too late for the process itself. :func:`limit_openblas_threads`
therefore does both: it sets the variable (read by spawned workers and subprocesses, which load
OpenBLAS afresh) and limits the OpenBLAS already loaded here with ``threadpoolctl`` (forked
DataLoader workers inherit that limit). torch's own threads (OpenMP / MKL) are not touched.
"""
import os

from threadpoolctl import ThreadpoolController

VARIABLE = 'OPENBLAS_NUM_THREADS'


def limit_openblas_threads(threads: int = 1) -> None:
    """Run OpenBLAS with ``threads`` threads in this process and its children.

    A value the user set in ``OPENBLAS_NUM_THREADS`` wins: then nothing is changed (OpenBLAS
    already loaded with it).
    """
    if VARIABLE in os.environ:
        return
    os.environ[VARIABLE] = str(threads)
    ThreadpoolController().select(internal_api='openblas').limit(limits=threads)
