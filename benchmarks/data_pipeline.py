"""Read + augment throughput of a recipe's data loader with N workers, against the training
step rate, so that it is visible when loading starves the model.

    python benchmarks/data_pipeline.py --method pera --workers 0 1 2 --batch-size 4

The loader is the recipe's own ``train_dataloader`` (dataset, pipeline, sampler, collate,
``pin_memory``), built by mmengine's ``Runner.build_dataloader`` over fake files in the
dataset's layout: for ``pera`` / ``softcon`` SSL4EO-S12 S2 L1C, 13 single-band GeoTIFFs per
264 × 264 tile at their native 10 / 20 / 60 m sizes (see ``methods.py``). Per worker count:
``startup_s`` (until the first batch: worker start, first reads) and ``samples_per_s`` over the
next ``--batches`` batches; with 0 workers also ``samples_per_cpu_s`` (samples per CPU-second of
this process: the per-core rate, robust to other load on a shared machine). The training rate is
the ``baseline`` row of ``run.py`` for the same method, size and batch size
(``results/run_<method>_<device>.json``) when it exists. With W workers the loader is ahead when
``samples_per_s`` ≥ the training images/s; on a GPU, whose steps are far faster than the CPU's,
that takes many more workers than on this CPU.

``--batch-augment`` (PerA) selects the recipe's batch-wise path
(``AlignedMultiViews(batch_augment=True)``): workers only load the tile and draw the view
parameters, and the model's data preprocessor cuts, flips, jitters and normalizes the batch on
the device; its rate is reported as ``preprocessor_samples_per_s`` (device work, timed on the
loaded batches). For per-core rates run with 1 worker and one thread per process
(``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 GDAL_NUM_THREADS=1``; recorded in the file).
Results go to ``results/data_pipeline_<method>_<size>size[_batchaug]_<device>.json``.
"""
import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from common import RESULTS, device_tag, pick_device, time_call, write_results
from methods import METHODS, fake_data, load_recipe


def loader_rate(cfg, workers: int, batch_size: int, batches: int,
                device=None) -> tuple[dict, list]:
    """Startup seconds and samples/s of the recipe's loader with ``workers`` processes, and the
    timed batches (kept only when ``device`` is given, for :func:`preprocessor_rate`)."""
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
    start, cpu, seen, kept = time.perf_counter(), time.process_time(), 0, []
    for _ in range(batches):
        try:
            batch = next(iterator)
        except StopIteration:  # a small fake set: start another epoch
            iterator = iter(loader)
            batch = next(iterator)
        seen += batch_size
        if device is not None:
            kept.append(batch)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    row = dict(workers=workers, startup_s=round(startup, 3), samples_per_s=round(seen / seconds, 2))
    if workers == 0:  # this process did all the work: samples per CPU-second, i.e. per core
        row['samples_per_cpu_s'] = round(seen / cpu, 2)
    return row, kept


def preprocessor_rate(cfg, batches: list, device) -> float:
    """samples/s of the model's data preprocessor (training mode) on ``batches``, on
    ``device``: for the batch-wise path the cut / flip / jitter / normalize work."""
    from mmengine.registry import DefaultScope

    from eossl.registry import MODELS
    with DefaultScope.overwrite_default_scope('eossl'):
        pre = MODELS.build(cfg.model.data_preprocessor).to(device)
    pre(batches[0], training=True)  # warm-up
    seconds = sum(time_call(lambda b=b: pre(b, training=True), device) for b in batches[1:])
    return round(sum(len(b['data_samples']) for b in batches[1:]) / seconds, 2)


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
    parser.add_argument('--batch-augment', action='store_true',
                        help='PerA: the batch-wise view path (preprocessor on the device)')
    parser.add_argument('--data-cache', type=Path,
                        default=Path(tempfile.gettempdir()) / 'eossl-benchmark-data')
    args = parser.parse_args(argv)
    eossl.register_all_modules(init_default_scope=False)
    device = pick_device()
    size = args.size or ('recipe' if device.type == 'cuda' else 'cpu')
    data_root = fake_data(args.method, args.data_cache, args.samples)
    options = ({'train_dataloader.dataset.pipeline.1.batch_augment': True}
               if args.batch_augment else None)
    cfg = load_recipe(args.method, None, size, data_root, options)
    train = training_rate(args.method, size, args.batch_size, device_tag(device))
    rows = []
    for workers in args.workers:
        row, batches = loader_rate(cfg, workers, args.batch_size, args.batches,
                                   device if args.batch_augment else None)
        if batches:
            row['preprocessor_samples_per_s'] = preprocessor_rate(cfg, batches, device)
        if train:
            row['loader_over_training'] = round(row['samples_per_s'] / train, 2)
        rows.append(row)
        verdict = '' if not train else (' -> loader-bound' if row['samples_per_s'] < train
                                        else ' -> keeps up')
        extra = (f", preprocessor {row['preprocessor_samples_per_s']:.1f} samples/s"
                 if batches else '')
        print(f"{workers} workers: start-up {row['startup_s']:.2f} s, "
              f"{row['samples_per_s']:.1f} samples/s{extra}{verdict}")
    threads = {k: os.environ.get(k) for k in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS',
                                              'MKL_NUM_THREADS', 'GDAL_NUM_THREADS')}
    suffix = '_batchaug' if args.batch_augment else ''
    path = write_results(f'data_pipeline_{args.method}_{size}size{suffix}', device, dict(
        method=args.method, size=size, batch_size=args.batch_size, samples=args.samples,
        batch_augment=args.batch_augment, thread_env=threads, training_images_per_s=train,
        rows=rows))
    print(f'training step: {train} images/s; wrote {path}')


if __name__ == '__main__':
    main()
