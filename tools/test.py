"""Evaluate a checkpoint with a recipe's test loop: ``python tools/test.py CONFIG CKPT``."""
import argparse
import os

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

import eossl
from eossl.engine.cli import adapt_to_device, merge_cli_args


def parse_args() -> argparse.Namespace:
    """Command-line options (the mmpretrain ``tools/test.py`` shape)."""
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='recipe file (.py, .yaml or .json)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where logs and metrics go')
    parser.add_argument('--out', help='dump the metrics to this JSON/pickle file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override recipe fields')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    """Build the Runner, load the checkpoint and run the test loop."""
    args = parse_args()
    eossl.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    cfg = merge_cli_args(cfg, config_path=args.config, work_dir=args.work_dir,
                         launcher=args.launcher, cfg_options=args.cfg_options)
    if not os.path.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint}: no such file')
    cfg.load_from = args.checkpoint
    if cfg.get('test_dataloader') is None:
        raise KeyError(f'{args.config}: the recipe has no test_dataloader/test_evaluator; '
                       'pretraining recipes are evaluated through a downstream recipe')
    cfg = adapt_to_device(cfg)
    runner = Runner.from_cfg(cfg)
    if args.out:
        from mmengine.evaluator import DumpResults
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    runner.test()


if __name__ == '__main__':
    main()
