"""Train an eossl recipe: ``python tools/train.py CONFIG [--work-dir D] [--resume [CKPT]]``.

For several processes use ``tools/dist_train.sh CONFIG NUM_GPUS`` (torchrun) or
``tools/slurm_train.sh``; both call this script with ``--launcher``.
"""
import argparse
import os

# numpy's OpenBLAS starts one thread per core in every DataLoader worker; the transforms do no
# large BLAS work, and the oversubscription cost PerA's pipeline 2.7x (benchmarks/README.md).
# Must be set before numpy is imported; torch's own threads are unaffected.
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

from mmengine.config import Config, DictAction  # noqa: E402

import eossl  # noqa: E402
from eossl.engine.cli import adapt_to_device, build_runner, merge_cli_args  # noqa: E402


def parse_args() -> argparse.Namespace:
    """Command-line options (the mmpretrain ``tools/train.py`` shape)."""
    parser = argparse.ArgumentParser(description='Train an eossl recipe')
    parser.add_argument('config', help='recipe file (.py, .yaml or .json)')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument('--resume', nargs='?', const='auto', default=None,
                        help='resume from CKPT, or from the latest checkpoint in the work dir '
                        'when no path is given')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (CUDA)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by (processes x batch per process) / the '
                        "recipe's auto_scale_lr.base_batch_size")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override recipe fields, e.g. train_cfg.max_iters=10')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    """Build the Runner from the recipe and train."""
    args = parse_args()
    eossl.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    cfg = merge_cli_args(cfg, config_path=args.config, work_dir=args.work_dir,
                         resume=args.resume, amp=args.amp, launcher=args.launcher,
                         cfg_options=args.cfg_options, auto_scale_lr=args.auto_scale_lr)
    cfg = adapt_to_device(cfg)
    runner = build_runner(cfg)
    runner.train()


if __name__ == '__main__':
    main()
