"""Train an eossl recipe: ``eossl-train CONFIG [--work-dir D] [--resume [CKPT]]``.

For several processes use ``eossl-dist-train CONFIG NUM_GPUS`` / ``tools/dist_train.sh``
(torchrun) or ``tools/slurm_train.sh``; they call this script with ``--launcher``. In a process
group that torchrun restarted after a failure (``MAX_RESTARTS``), ``--resume`` is implied.
"""
import argparse
import os
from collections.abc import Sequence

from mmengine.config import Config

import eossl
from eossl.cli.dist_train import resume_after_restart
from eossl.cli.launch.blas_threads import limit_openblas_threads
from eossl.cli.launch.interruptions import lock_work_dir, train_with_resume_hint
from eossl.cli.launch.overrides import add_override_arguments, apply_overrides
from eossl.cli.launch.preflight import check_train_batches
from eossl.cli.launch.runner_config import adapt_to_device, build_runner, merge_cli_args
from eossl.compat import close_process_group
from eossl.engine.cpu_allocator import retain_freed_memory
from eossl.engine.presets import PRESETS, apply_preset


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options (the mmpretrain ``tools/train.py`` shape)."""
    parser = argparse.ArgumentParser(description='Train an eossl recipe')
    parser.add_argument('config', help='recipe file (.py, .yaml or .json)')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument('--resume', nargs='?', const='auto', default=None,
                        help='resume from CKPT, or from the latest checkpoint in the work dir '
                        'when no path is given')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: bf16 autocast on GPUs from Ampere and on CPUs '
                        'with AVX512-BF16/AMX, fp16 on older GPUs (see eossl.engine.precision)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by (processes x batch per process) / the '
                        "recipe's auto_scale_lr.base_batch_size")
    add_override_arguments(parser)
    parser.add_argument('--preset', choices=PRESETS,
                        help='cpu-tiny: the recipe at tiny sizes for a CPU, on generated data '
                        'when its data_root is missing (see eossl.engine.presets)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Build the Runner from the recipe and train."""
    args = parse_args(argv)
    limit_openblas_threads()  # before any DataLoader worker starts (see blas_threads)
    retain_freed_memory()  # CPU steps reuse their pages instead of faulting them in again
    eossl.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    cfg_options = apply_overrides(cfg, args)
    cfg = merge_cli_args(cfg, config_path=args.config, work_dir=args.work_dir,
                         resume=resume_after_restart(args.resume), amp=args.amp,
                         launcher=args.launcher,
                         cfg_options=cfg_options, auto_scale_lr=args.auto_scale_lr)
    if args.preset:  # on the resolved work dir; explicit --cfg-options still win
        apply_preset(cfg, args.preset)
        cfg.merge_from_dict(cfg_options or {})
    cfg = adapt_to_device(cfg)
    lock = lock_work_dir(cfg.work_dir)  # before the runner writes anything there
    runner = build_runner(cfg)
    check_train_batches(runner)
    train_with_resume_hint(runner, args.config)
    if lock is not None:
        lock.release()
    close_process_group()  # every rank done before gloo/NCCL is torn down


if __name__ == '__main__':
    main()
