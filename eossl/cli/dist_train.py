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
  With restarts the group meets through torchrun's ``c10d`` rendezvous at
  ``MASTER_ADDR:PORT`` (``--rdzv-id`` from ``RDZV_ID``, default ``eossl``; the same on every
  node) with ``TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1``, so that every restarted group builds its
  process group on a new store: the default static rendezvous hands a restarted group the
  store of the dead one, whose stale gloo/NCCL addresses made the new group's connect fail
  ("Gloo connectFullMesh failed ... Connection refused", 3 of 6 restarts here, 0 of 7 this way).

On a machine without CUDA the processes use gloo on CPU (see ``eossl.cli.launch.runner_config``).
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
    addr, port = environ.get('MASTER_ADDR', '127.0.0.1'), environ.get('PORT', '29500')
    if int(restarts) > 0:
        meeting = ['--rdzv-backend=c10d', f'--rdzv-endpoint={addr}:{port}',
                   f'--rdzv-id={environ.get("RDZV_ID", "eossl")}']
    else:
        meeting = [f'--node_rank={environ.get("NODE_RANK", "0")}', f'--master_addr={addr}',
                   f'--master_port={port}']
    return [sys.executable, '-m', 'torch.distributed.run',
            f'--nnodes={environ.get("NNODES", "1")}', *meeting,
            f'--nproc_per_node={nproc}', f'--max-restarts={restarts}',
            '-m', 'eossl.cli.train', config, '--launcher', 'pytorch', *train_args]


def main(argv: Sequence[str] | None = None) -> int:
    """Run torchrun; exits with its status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] in ('-h', '--help'):
        print(__doc__)
        return 0 if args[:1] in (['-h'], ['--help']) else 2
    config, nproc, *train_args = args
    if '::' not in config and not os.path.isfile(config):
        raise FileNotFoundError(f'{config}: recipe not found')
    if not nproc.isdigit() or int(nproc) < 1:
        raise ValueError(f'NPROC={nproc!r}: expected the number of processes per node')
    # one OpenBLAS thread per worker, as eossl-train sets for itself (see blas_threads)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=os.environ.get('OPENBLAS_NUM_THREADS', '1'))
    if int(env.get('MAX_RESTARTS', '0') or 0) > 0:
        env['TORCH_DISABLE_SHARE_RDZV_TCP_STORE'] = '1'  # a new store per restart (docstring)
    return subprocess.call(torchrun_command(config, nproc, train_args), env=env)


if __name__ == '__main__':
    sys.exit(main())
