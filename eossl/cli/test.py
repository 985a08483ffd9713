"""Evaluate a checkpoint with a downstream recipe's test split: ``eossl-test CONFIG CKPT``.

- ``--out metrics.json``: the metrics as a JSON object (``{"multi-label/mAP_present": ...,
  "IoU.Forest": ..., ...}``: segmentation recipes report each class's IoU) and, under
  ``"source"``, what they came from: the recipe, the checkpoint (path, size, sha256) and the
  number of test samples;
- ``--dump preds.pkl``: every sample's predictions (mmengine's ``DumpResults``, a pickle);
- ``--show-dir DIR``: one PNG per test sample (``--show-num`` of them): segmentation input
  false colour | label | prediction, classification input and top classes
  (:class:`eossl.engine.PredictionFigureHook`).

The runner is chosen as ``eossl-train`` chooses it (``runner_type``, else ``FlexibleRunner`` for
a recipe with a ``strategy`` such as FSDP, else ``Runner``); ``--cfg-options`` / ``--cfg-file``
/ ``--tensorboard`` work as in ``eossl-train``.
"""
import argparse
import hashlib
import json
import os
from collections.abc import Sequence

from mmengine.config import Config
from mmengine.dist import is_main_process

import eossl
from eossl.cli.launch.blas_threads import limit_openblas_threads
from eossl.cli.launch.overrides import add_override_arguments, apply_overrides
from eossl.cli.launch.runner_config import adapt_to_device, build_runner, merge_cli_args
from eossl.compat import close_process_group
from eossl.utils import ensure_parent_dir


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options (the mmpretrain ``tools/test.py`` shape)."""
    parser = argparse.ArgumentParser(description='Test a checkpoint with a downstream recipe')
    parser.add_argument('config', help='downstream recipe file (.py, .yaml or .json)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where logs go')
    parser.add_argument('--out', help='write the metrics to this JSON file')
    parser.add_argument('--dump', help='write the predictions to this pickle file (.pkl)')
    parser.add_argument('--show-dir', help='write one figure per test sample into this folder')
    parser.add_argument('--show-num', type=int, default=16,
                        help='samples drawn with --show-dir (default 16)')
    add_override_arguments(parser)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if args.out and not args.out.endswith('.json'):
        parser.error(f'--out {args.out}: the metrics are written as JSON; name a .json file '
                     '(predictions go to --dump preds.pkl)')
    if args.dump and not args.dump.endswith(('.pkl', '.pickle')):
        parser.error(f'--dump {args.dump}: predictions are pickled; name a .pkl file')
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def file_sha256(path: str) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for chunk in iter(lambda: file.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def check_testable(cfg: Config, config_path: str) -> None:
    """A recipe without a test split is a pretraining recipe: say what to run instead."""
    missing = [k for k in ('test_dataloader', 'test_evaluator', 'test_cfg') if cfg.get(k) is None]
    if missing:
        raise KeyError(f'{config_path}: the recipe has no {"/".join(missing)}. Pretraining '
                       'recipes are evaluated through a downstream recipe (configs/benchmarks/'
                       '...) after eossl-extract-backbone, or with eossl-knn-probe; for your own '
                       'recipe, add test_dataloader, test_evaluator and test_cfg = dict()')


def main(argv: Sequence[str] | None = None) -> dict:
    """Build the runner, load the checkpoint, run the test loop; returns the metrics."""
    args = parse_args(argv)
    limit_openblas_threads()
    eossl.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    cfg_options = apply_overrides(cfg, args)
    cfg = merge_cli_args(cfg, config_path=args.config, work_dir=args.work_dir,
                         launcher=args.launcher, cfg_options=cfg_options)
    if not os.path.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint}: no such file')
    check_testable(cfg, args.config)
    cfg.load_from, cfg.resume = args.checkpoint, False
    # the tested checkpoint holds every weight: the backbone's init checkpoint is never read
    # at test time, so its pre-flight check would only fail on a file that is not needed
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks') or []
                        if str(h.get('type')).split('.')[-1] != 'PretrainedCheckHook']
    if args.show_dir:
        cfg.custom_hooks = cfg.custom_hooks + [dict(
            type='eossl.PredictionFigureHook', out_dir=args.show_dir,
            max_samples=args.show_num)]
    cfg = adapt_to_device(cfg)
    runner = build_runner(cfg)
    if args.dump:
        from mmengine.evaluator import DumpResults
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=ensure_parent_dir(args.dump)))
    metrics = runner.test()
    close_process_group()  # every rank done before gloo/NCCL is torn down
    if args.out and is_main_process():
        source = dict(config=os.path.abspath(args.config) if os.path.isfile(args.config)
                      else args.config, cfg_options=cfg_options or {},
                      checkpoint=os.path.abspath(args.checkpoint),
                      checkpoint_bytes=os.path.getsize(args.checkpoint),
                      checkpoint_sha256=file_sha256(args.checkpoint),
                      test_samples=len(runner.test_loop.dataloader.dataset))
        with open(ensure_parent_dir(args.out), 'w', encoding='utf-8') as file:
            # tensors and numpy values as numbers / lists
            json.dump({**metrics, 'source': source}, file, indent=2,
                      default=lambda v: v.tolist() if hasattr(v, 'tolist') else str(v))
        print(f'wrote the metrics to {args.out}')
    return metrics


if __name__ == '__main__':
    main()
