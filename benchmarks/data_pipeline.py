"""Read + augment throughput of a recipe's data loader with N workers, against the training
step rate, so that it is visible when loading starves the model.

    python benchmarks/data_pipeline.py --method pera --workers 0 1 2 --batch-size 4

The loader is the recipe's own ``train_dataloader`` (dataset, pipeline, sampler, collate,
``pin_memory``), built by mmengine's ``Runner.build_dataloader`` over fake files in the
dataset's layout: for ``pera`` / ``softcon`` SSL4EO-S12 S2 L1C, 13 single-band GeoTIFFs per
264 × 264 tile at their native 10 / 20 / 60 m sizes (see ``methods.py``). Per worker count:
``startup_s`` (until the first batch: worker start, first reads) and ``samples_per_s`` over the
next ``--batches`` batches. The training rate is the ``baseline`` row of ``run.py`` for the
same method, size and batch size (``results/run_<method>_<device>.json``) when it exists.
With W workers the loader is ahead when ``samples_per_s`` ≥ the training images/s; on a GPU,
whose steps are far faster than the CPU's, that takes many more workers than on this CPU.
Results go to ``results/data_pipeline_<method>_<size>size_<device>.json``.
"""
import argparse
import json
import tempfile
import time
from pathlib import Path

from common import RESULTS, device_tag, pick_device, write_results
from methods import METHODS, fake_data, load_recipe


def loader_rate(cfg, workers: int, batch_size: int, batches: int) -> dict:
    """Startup seconds and samples/s of the recipe's loader with ``workers`` processes."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    loader_cfg = cfg.train_dataloader.copy()
    loader_cfg.update(batch_size=batch_size, num_workers=workers,
                      persistent_workers=workers > 0 and loader_cfg.get('persistent_workers',
                                                                        False))
    with DefaultScope.overwrite_default_scope('eossl'):
        loader = Runner.build_dataloader(loader_cfg, seed=0)
    start = time.perf_counter()
    iterator = iter(loader)
    next(iterator)
    startup = time.perf_counter() - start
    start, seen = time.perf_counter(), 0
    for _ in range(batches):
        try:
            next(iterator)
        except StopIteration:  # a small fake set: start another epoch
            iterator = iter(loader)
            next(iterator)
        seen += batch_size
    seconds = time.perf_counter() - start
    return dict(workers=workers, startup_s=round(startup, 3),
                samples_per_s=round(seen / seconds, 2))


def training_rate(method: str, size: str, batch_size: int, tag: str) -> float | None:
    """images/s of ``run.py``'s baseline row for the same method, size and batch size."""
    path = RESULTS / f'run_{method}_{tag}.json'
    if not path.exists():
        return None
    for row in json.loads(path.read_text())['rows']:
        if (row['size'], row['variant'], row['batch_size']) == (size, 'baseline', batch_size) \
                and not row['cfg_options']:
            return row['images_per_s']
    return None


def main(argv: list[str] | None = None) -> None:
    """Command line: measure each worker count, compare with the training rate, write JSON."""
    import eossl

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--method', default='pera', choices=sorted(METHODS))
    parser.add_argument('--size', choices=('cpu', 'recipe'))
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--batches', type=int, default=8, help='timed batches per count')
    parser.add_argument('--samples', type=int, default=32, help='fake training samples')
    parser.add_argument('--data-cache', type=Path,
                        default=Path(tempfile.gettempdir()) / 'eossl-benchmark-data')
    args = parser.parse_args(argv)
    eossl.register_all_modules(init_default_scope=False)
    device = pick_device()
    size = args.size or ('recipe' if device.type == 'cuda' else 'cpu')
    data_root = fake_data(args.method, args.data_cache, args.samples)
    cfg = load_recipe(args.method, None, size, data_root)
    train = training_rate(args.method, size, args.batch_size, device_tag(device))
    rows = []
    for workers in args.workers:
        row = loader_rate(cfg, workers, args.batch_size, args.batches)
        if train:
            row['loader_over_training'] = round(row['samples_per_s'] / train, 2)
        rows.append(row)
        verdict = '' if not train else (' -> loader-bound' if row['samples_per_s'] < train
                                        else ' -> keeps up')
        print(f"{workers} workers: start-up {row['startup_s']:.2f} s, "
              f"{row['samples_per_s']:.1f} samples/s{verdict}")
    path = write_results(f'data_pipeline_{args.method}_{size}size', device, dict(
        method=args.method, size=size, batch_size=args.batch_size, samples=args.samples,
        training_images_per_s=train, rows=rows))
    print(f'training step: {train} images/s; wrote {path}')


if __name__ == '__main__':
    main()
