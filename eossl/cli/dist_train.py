"""Train on several processes with torchrun: ``eossl-dist-train CONFIG NPROC [train options]``.

The same interface as ``tools/dist_train.sh`` (which calls this): ``NPROC`` processes per node,
and for several nodes run it on every node with the same environment variables

- ``NNODES`` (default 1), ``NODE_RANK`` (0), ``MASTER_ADDR`` (127.0.0.1), ``PORT`` (29500);
- ``MAX_RESTARTS`` (default 0): when a process dies (OOM killer, preemption of one GPU, a
  crash), torchrun stops the others and restarts the whole group up to that many times
  (``torchrun --max-restarts``). A restarted group resumes from the newest intact checkpoint of
  its work dir by itself: ``eossl-train`` adds ``--resume`` when torchrun says it is a restart
  (``TORCHELASTIC_RESTART_COUNT`` > 0, see :func:`resume_after_restart`). Progress since that
  checkpoint is trained again, so the result equals an uninterrupted run.

On a machine without CUDA the processes use gloo on CPU (see ``eossl.engine.cli``).
"""
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

RESTART_COUNT = 'TORCHELASTIC_RESTART_COUNT'  # set by torchrun in every worker


def resume_after_restart(resume: str | None, environ: Mapping[str, str] = os.environ
                         ) -> str | None:
    """``eossl-train``'s ``--resume`` value: ``'auto'`` in a group torchrun restarted after a
    failure (unless the command line already chose), else ``resume`` unchanged."""
    if resume is None and int(environ.get(RESTART_COUNT, '0') or 0) > 0:
        return 'auto'
    return resume


def torchrun_command(config: str, nproc: str, train_args: Sequence[str],
                     environ: Mapping[str, str] = os.environ) -> list[str]:
    """The torchrun command line for ``CONFIG NPROC [train options]`` under ``environ``."""
    restarts = environ.get('MAX_RESTARTS', '0')
    if not restarts.isdigit():
        raise ValueError(f'MAX_RESTARTS={restarts!r}: expected a whole number of restarts')
    return [sys.executable, '-m', 'torch.distributed.run',
            f'--nnodes={environ.get("NNODES", "1")}',
            f'--node_rank={environ.get("NODE_RANK", "0")}',
            f'--master_addr={environ.get("MASTER_ADDR", "127.0.0.1")}',
            f'--master_port={environ.get("PORT", "29500")}',
            f'--nproc_per_node={nproc}', f'--max-restarts={restarts}',
            '-m', 'eossl.cli.train', config, '--launcher', 'pytorch', *train_args]


def main(argv: Sequence[str] | None = None) -> int:
    """Run torchrun; exits with its status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] in ('-h', '--help'):
        print(__doc__)
        return 0 if args[:1] in (['-h'], ['--help']) else 2
    config, nproc, *train_args = args
    if not nproc.isdigit() or int(nproc) < 1:
        raise ValueError(f'NPROC={nproc!r}: expected the number of processes per node')
    # one OpenBLAS thread per worker, as eossl-train sets for itself (see blas_threads)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=os.environ.get('OPENBLAS_NUM_THREADS', '1'))
    return subprocess.call(torchrun_command(config, nproc, train_args), env=env)


if __name__ == '__main__':
    sys.exit(main())
