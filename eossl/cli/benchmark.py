"""Benchmark an encoder the way the field does: every dataset × protocol × fraction × seed.

``eossl-benchmark --encoder SPEC --suite SUITE [--weights FILE --weights-format F]
[--data-root DIR] [--work-dir DIR]``

SPEC is an encoder spec (``configs/benchmarks/encoders/``: backbone, bands, stats, img_size);
SUITE a suite (``configs/benchmarks/suites/``: datasets, protocols, fractions, seeds, floors).
Weights: an eossl pretraining checkpoint (``eossl``), a file of ``eossl-extract-backbone``
(``backbone``), an official SoftCon checkpoint (``softcon``, converted) or none (``random``).
Writes ``results.json`` (after every run; rerunning resumes), ``results.md`` (the table with
floors, published references, CIs and the normalised IQM) and ``benchmark.png``.
``--max-epochs N`` shrinks every ``copernicus-l2`` recipe (recorded in results.json; such rows
are marked not comparable with the published ones).
``--demo`` writes fixtures of every suite and demo backbone checkpoints (tiny ViTs, S2 and S1)
under the work dir and benchmarks them on every fixture dataset whose bands they share, the
``copernicus-l2`` recipes shrunk to one epoch (a few CPU minutes, nothing downloaded).
"""
import argparse
import os
from collections.abc import Sequence
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import eossl
from eossl.cli.launch.overrides import add_cfg_options
from eossl.evaluation.encoder import WEIGHT_FORMATS, build_encoder
from eossl.evaluation.report import figure, markdown
from eossl.evaluation.suite import run_suite
from eossl.utils import ensure_parent_dir

CONFIGS = Path(__file__).resolve().parents[1] / '.mim' / 'configs' / 'benchmarks'
# (encoder spec, suite, fixture folder, work dir) of each demo run: every fixture dataset is
# benchmarked by the demo encoder that shares its bands
DEMO_RUNS = (('encoders/vit_tiny_demo_s2.py', 'copernicus_l2_frozen.py', 'copernicus_bench',
              'copernicus_l2_frozen_s2'),
             ('encoders/vit_tiny_demo_s1.py', 'copernicus_l2_frozen.py', 'copernicus_bench',
              'copernicus_l2_frozen_s1'),
             ('encoders/vit_tiny_demo_s2.py', 'geobench_frozen.py', 'geobench',
              'geobench_frozen_s2'),
             ('encoders/vit_tiny_demo_s2.py', 'copernicus_l2.py', 'copernicus_bench',
              'copernicus_l2_s2'),
             ('encoders/vit_tiny_demo_s1.py', 'copernicus_l2.py', 'copernicus_bench',
              'copernicus_l2_s1'))
# the copernicus-l2 recipes shrunk to a CPU demo (recorded; rows marked not comparable): one
# epoch, one seed, small batches and UPerNet widths, no loader workers
DEMO_RECIPE_OPTIONS = dict(seeds=[0], schedule=dict(max_epochs=1, batch_size=8,
                                                    head_channels=16, num_workers=0))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--encoder', help='encoder spec (configs/benchmarks/encoders/*.py)')
    parser.add_argument('--suite', help='suite config (configs/benchmarks/suites/*.py)')
    parser.add_argument('--weights', help='weights file (see --weights-format)')
    parser.add_argument('--weights-format', choices=WEIGHT_FORMATS, default=None,
                        help="default: 'backbone' with --weights, else 'random'")
    parser.add_argument('--data-root', help="overrides the suite's data_root")
    parser.add_argument('--work-dir', default='work_dirs/benchmark')
    parser.add_argument('--missing-bands', choices=('fill', 'drop'),
                        help="overrides the suite's missing_bands")
    parser.add_argument('--max-epochs', type=int,
                        help='copernicus-l2 suites: shrink every recipe to N epochs (CPU demos; '
                             'recorded in results.json, rows marked not comparable)')
    parser.add_argument('--demo', action='store_true',
                        help='fixtures + demo checkpoint + tiny ViT (see the module docstring)')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    if not args.demo and not (args.encoder and args.suite):
        parser.error('give --encoder and --suite (or --demo)')
    return args


def _config(path: str) -> str:
    """``path`` itself, else the same path under the shipped configs/benchmarks."""
    if os.path.isfile(path):
        return path
    shipped = CONFIGS / path.split('configs/benchmarks/')[-1]
    if shipped.is_file():
        return str(shipped)
    raise FileNotFoundError(f'{path}: no such file (nor {shipped})')


def run_one(encoder_spec: str, suite_path: str, weights: str | None, weights_format: str,
            work_dir: Path, data_root: str | None, missing: str | None,
            options: dict | None, max_epochs: int | None = None) -> dict:
    """Benchmark one encoder on one suite; returns the results dict."""
    suite = Config.fromfile(_config(suite_path))
    if options:
        suite.merge_from_dict(options)
    if missing:
        suite.missing_bands = missing
    if max_epochs is not None:
        suite.schedule = dict(suite.get('schedule') or {}, max_epochs=max_epochs)
    root = Path(data_root or suite.get('data_root', '.'))
    for entry in suite.get('datasets', []):
        entry['dataset']['data_root'] = str(root / entry['dataset']['data_root'])
    for task in suite.get('tasks', []):  # copernicus-l2: recipes under configs/benchmarks
        task['data_root'] = str(root / task['data_root'])
        task['recipe'] = _config(task['recipe'])
    spec = _config(encoder_spec)
    encoder = build_encoder(spec, weights, weights_format)
    random = build_encoder(spec, None, 'random', seed=0)
    random.name = 'random'
    results = run_suite(suite, encoder, random, work_dir, spec=Config.fromfile(spec))
    table = markdown(results, encoder.name)
    Path(ensure_parent_dir(str(work_dir / 'results.md'))).write_text(table, encoding='utf-8')
    png = figure(results, encoder.name, work_dir / 'benchmark.png')
    print(table)
    print(f'wrote {work_dir / "results.json"}, {work_dir / "results.md"}'
          + (f', {png}' if png else ''))
    return results


def demo(work_dir: Path, options: dict | None) -> dict:
    """Fixtures of every suite, demo backbone checkpoints, and every suite on the tiny ViTs."""
    from eossl.testing.copernicus_bench import make_fake_copernicus_bench
    from eossl.testing.geobench import make_fake_geobench
    data = work_dir / 'data'
    if not (data / 'copernicus_bench').is_dir():
        make_fake_copernicus_bench(data / 'copernicus_bench')
        make_fake_geobench(data / 'geobench')
    frozen = dict(dict(seeds=[0, 1], bootstrap_draws=200), **(options or {}))
    recipes = dict(DEMO_RECIPE_OPTIONS, **(options or {}))
    out = {}
    for spec, suite, folder, name in DEMO_RUNS:
        checkpoint = work_dir / f'demo_backbone_{Path(spec).stem}.pth'
        if not checkpoint.is_file():
            encoder = build_encoder(_config(spec), seed=1)
            torch.save({'state_dict': {f'backbone.{k}': v for k, v in
                                       encoder.backbone.state_dict().items()}}, checkpoint)
        out[name] = run_one(spec, f'suites/{suite}', str(checkpoint), 'backbone',
                            work_dir / name, str(data / folder), None,
                            recipes if suite == 'copernicus_l2.py' else frozen)
    return out


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the benchmark; returns the results (``{suite: results}`` with ``--demo``)."""
    args = parse_args(argv)
    eossl.register_all_modules(init_default_scope=False)
    init_default_scope('eossl')
    work_dir = Path(args.work_dir)
    if args.demo:
        return demo(work_dir, args.cfg_options)
    weights_format = args.weights_format or ('backbone' if args.weights else 'random')
    return run_one(args.encoder, args.suite, args.weights, weights_format, work_dir,
                   args.data_root, args.missing_bands, args.cfg_options, args.max_epochs)


if __name__ == '__main__':
    main()
