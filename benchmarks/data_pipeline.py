"""What it costs the CPU to feed a GPU: per method and data path, the producer's CPU time per
sample, the bytes per sample handed to the device, and the cores one H100 needs.

    python benchmarks/data_pipeline.py                      # the producer table (recipe size)
    python benchmarks/data_pipeline.py --methods pera --batches 4

**Producer table** (default). For each method and path the recipe's own ``train_dataloader``
(dataset, pipeline, collate) is built by mmengine's ``Runner.build_dataloader`` with
``num_workers=0``, so this process does exactly what one DataLoader worker does (read, decode,
augment, collate), on one thread (``OMP_NUM_THREADS=1``, ``torch.set_num_threads(1)``), and its
CPU time (``time.process_time``; on a shared machine it is what one core spends, where wall
time is not) is divided by the samples produced: **samples/s per core**. The timed batches
follow one warm-up batch within one epoch (``--samples`` ≥ (``--batches`` + 1) × batch size):
the steady state, in which litdata's opening of a chunk (~20 ms here) is spread over the
chunk's samples (hundreds in a real packing) instead of a tiny fake set's few. **Bytes per sample**
are every tensor and array of the collated batch (inputs, fields collated in the worker, numpy
fields of the data samples): what crosses from the worker to the main process and on to the
device. The GPU side is projected from FLOPs: the recipe's training step is counted at recipe
size with ``common.count_flops`` (batch 2, forward + backward), and one H100 SXM at 40 % of its
dense bf16 peak (989 TFLOP/s) runs ``0.4 · 989e12 / FLOP per sample`` samples/s; **cores
needed** = that ÷ samples/s per core. Work the data preprocessor does on the GPU (the views of
the "views on GPU" paths, integer → float conversion, normalization) is not producer work, and
neither is pinning (the DataLoader's pin-memory thread in the training process).

``--in-worker`` also measures each row where training runs it, in one DataLoader worker
process (its CPU time read from ``/proc/<pid>/stat``, Linux): the same work plus what only a
worker pays — torch's ``default_collate`` stacks the batch into *new shared memory* (every page
of it faulted in and zeroed by the kernel, ~one minor fault per 4 KiB of the batch) and the
batch is pickled to the main process. For PerA's 1.8 MB packed tiles that is the largest cost.

Paths: ``files`` are the recipes as shipped, over fake files in the dataset's layout
(SSL4EO-S12: 13 single-band GeoTIFFs per 264 px tile; MMEarth: the h5 file); ``packed`` are the
``*-packed.py`` recipes over the same fake data packed with ``pack_dataset(layout='compact')``
(the recipe's loader run once at packing). PerA runs both view paths (``batch_augment``
False / True). Results: ``results/data_pipeline_producer_<size>size_<device>.json``.

**Worker counts** (``--workers 0 1 2``, the earlier mode): wall-clock samples/s of the recipe's
loader with N workers against ``run.py``'s training rate; ``--batch-augment`` (PerA) also times
the data preprocessor on the loaded batches. Results go to
``results/data_pipeline_<method>_<size>size[_batchaug]_<device>.json``.
"""
import os

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS', 'GDAL_NUM_THREADS'):
    os.environ.setdefault(_var, '1')

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from common import (  # noqa: E402
    RESULTS,
    count_flops,
    device_name,
    device_tag,
    pick_device,
    time_call,
    write_results,
)
from methods import METHODS, fake_data, load_recipe  # noqa: E402

H100_BF16_DENSE = 989e12  # FLOP/s, H100 SXM dense bf16 (NVIDIA's datasheet)
UTILISATION = 0.4
WORKER_WARMUP = 3  # batches before a worker's CPU time is read (its batch-buffer pool fills)
PERA_BATCH = 'train_dataloader.dataset.pipeline.1.batch_augment'
PACKED = {'pera': 'configs/pera/pera_vits16_s2_200e_ssl4eo-packed.py',
          'softcon': 'configs/softcon/softcon_vits14_s2_100e_ssl4eo-packed.py',
          'mpmae_all': 'configs/mpmae/mpmae_convnextv2-atto_all-uncertainty_200e_mmearth-112-'
                       'packed.py'}
# method -> {path: (packed recipe or None for the method's own, cfg options)}
PATHS = {
    'pera': {'files, views on CPU': (None, {PERA_BATCH: False}),
             'files, views on GPU': (None, {PERA_BATCH: True}),
             'packed, views on CPU': (PACKED['pera'], {PERA_BATCH: False}),
             'packed, views on GPU': (PACKED['pera'], {PERA_BATCH: True}),
             'packed, views on GPU, every read hashed': (PACKED['pera'], {
                 PERA_BATCH: True, 'train_dataloader.dataset.check_checksum': 'every_read'}),
             'packed, views on GPU, no checksum': (PACKED['pera'], {
                 PERA_BATCH: True, 'train_dataloader.dataset.check_checksum': False})},
    'softcon': {'files': (None, {}), 'packed': (PACKED['softcon'], {})},
    'mpmae_all': {'h5 file': (None, {}), 'packed': (PACKED['mpmae_all'], {})},
}


def packed_data(method: str, cfg, data_root: Path, cache: Path) -> Path:
    """``data_root`` packed in the compact layout by the recipe's loader (once, cached)."""
    from mmengine.registry import DefaultScope

    from eossl.cli.pack_shards import build_dataset
    from eossl.datasets.shards import pack_dataset
    from eossl.datasets.shards.compact_codec import loading_steps
    out = cache / f'packed_{method}_{data_root.name}'
    if not (out / 'index.json').exists():
        cfg.merge_from_dict({'train_dataloader.dataset.seasons': 'all'}
                            if 'seasons' in cfg.train_dataloader.dataset else {})
        with DefaultScope.overwrite_default_scope('eossl'):
            dataset, section, pipeline = build_dataset(cfg, None)
            pack_dataset(dataset, out, samples_per_shard=256, source=section, layout='compact',
                         loaders=loading_steps(pipeline))
    return out


def payload_bytes(value: object) -> int:
    """Bytes of every tensor / array in a collated batch (data-sample fields included)."""
    from mmengine.structures import BaseDataElement
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return value.nbytes
    if isinstance(value, BaseDataElement):
        return sum(payload_bytes(value.get(k)) for k in value.keys())
    if isinstance(value, Mapping):
        return sum(payload_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(payload_bytes(v) for v in value)
    return 0


def producer_row(cfg, batch_size: int, batches: int, after_epochs: int = 0) -> dict:
    """Producer CPU time and bytes per sample of the recipe's loader in this process, in epoch
    ``after_epochs`` (the epochs before it read whole, untimed)."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    loader_cfg = cfg.train_dataloader.copy()
    loader_cfg.update(batch_size=batch_size, num_workers=0, persistent_workers=False,
                      pin_memory=False)
    with DefaultScope.overwrite_default_scope('eossl'):
        loader = Runner.build_dataloader(loader_cfg, seed=0)
    dataset, epoch = loader.dataset, 0

    def batches_forever():
        nonlocal epoch
        while True:
            if hasattr(dataset, 'set_epoch'):
                dataset.set_epoch(epoch, batch_size=batch_size)
            yield from loader
            epoch += 1

    stream = batches_forever()
    for _ in range(after_epochs * len(loader)):  # whole earlier epochs (checksums recorded)
        next(stream)
    next(stream)  # warm-up: open the chunk / files, first-call costs
    cpu, wall, seen, size = time.process_time(), time.perf_counter(), 0, 0
    for _ in range(batches):
        batch = next(stream)
        seen += len(batch['data_samples'])
        size += payload_bytes({k: v for k, v in batch.items()})
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return dict(samples=seen, cpu_ms_per_sample=round(1e3 * cpu / seen, 3),
                samples_per_cpu_s=round(seen / cpu, 1), wall_samples_per_s=round(seen / wall, 1),
                mb_per_sample=round(size / seen / 1e6, 3))


def _process_cpu(pid: int) -> tuple[float, int]:
    """(CPU seconds, minor page faults) of process ``pid`` so far (Linux): the CPU time is the
    sum of its threads' ``/proc/<pid>/task/<tid>/schedstat`` run times (nanoseconds; a worker's
    threads — its loop, the queue feeder that pickles batches, the descriptor sharer — live as
    long as it), else its ``/proc/<pid>/stat`` user + system time (10 ms ticks)."""
    fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    faults = int(fields[7])
    try:
        return sum(int(Path(f'/proc/{pid}/task/{tid}/schedstat').read_text().split()[0])
                   for tid in os.listdir(f'/proc/{pid}/task')) / 1e9, faults
    except (OSError, ValueError, IndexError):
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK'), faults


def worker_row(cfg, batch_size: int, after_epochs: int = 0) -> dict:
    """Producer CPU time per sample inside one DataLoader worker process (read from
    ``/proc``): the same work as :func:`producer_row` plus what only a worker pays, the batch
    collated into new shared memory (torch's ``default_collate`` in a worker) and its pickling.
    ``WORKER_WARMUP`` batches are consumed first (the worker's first batches fill its pool of
    reused batch buffers, each new one faulted in once: a per-worker start-up cost), the worker
    is left to fill its prefetch queue, then its CPU time is read and the rest of the epoch
    consumed; the samples it made in between are counted. ``after_epochs``: that many whole
    epochs are read first (the same persistent worker), untimed."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    if not Path('/proc/self/stat').exists():
        return {}
    loader_cfg = cfg.train_dataloader.copy()
    loader_cfg.update(batch_size=batch_size, num_workers=1, persistent_workers=True,
                      pin_memory=False, prefetch_factor=2)
    with DefaultScope.overwrite_default_scope('eossl'):
        loader = Runner.build_dataloader(loader_cfg, seed=0)
    for epoch in range(after_epochs + 1):
        if hasattr(loader.dataset, 'set_epoch'):
            loader.dataset.set_epoch(epoch, batch_size=batch_size)
        iterator = iter(loader)
        if epoch < after_epochs:
            for _ in iterator:
                pass
    for _ in range(WORKER_WARMUP):
        next(iterator)
    time.sleep(2.0)  # the worker finishes its two prefetched batches, then idles
    (pid,) = [w.pid for w in iterator._workers]
    cpu, faults = _process_cpu(pid)
    seen = sum(len(batch['data_samples']) for batch in iterator) - 2 * batch_size
    cpu, faults = (a - b for a, b in zip(_process_cpu(pid), (cpu, faults)))
    del iterator
    return dict(worker_samples=seen, worker_cpu_ms_per_sample=round(1e3 * cpu / seen, 3),
                worker_samples_per_cpu_s=round(seen / cpu, 1),
                worker_minor_faults_per_sample=round(faults / seen))


def flops_per_sample(method: str, size: str, data_root: Path) -> float:
    """Training FLOPs per sample of the method's recipe at ``size`` (batch 2, counted)."""
    from run import build_step
    _, loss, _, _ = build_step(method, None, size, 'baseline', 2, data_root,
                               torch.device('cpu'), {PERA_BATCH: False} if method == 'pera'
                               else None)
    flops = count_flops(loss)
    return (flops['forward'] + flops['backward']) / 2


def producer_table(args: argparse.Namespace) -> None:
    """Measure every (method, path), print the markdown table, write JSON."""
    import eossl
    eossl.register_all_modules(init_default_scope=False)
    torch.set_num_threads(1)
    if args.in_worker and args.samples < (WORKER_WARMUP + 4) * args.batch_size:
        raise SystemExit(f'--in-worker needs --samples >= {WORKER_WARMUP + 4} x --batch-size')
    if args.samples < (args.batches + 1) * args.batch_size:
        raise SystemExit(f'--samples {args.samples} < (--batches + 1) x --batch-size: the timed '
                         'batches would cross an epoch')
    rows = []
    for method in args.methods:
        data_root = fake_data(method, args.data_cache, args.samples)
        gflop = (args.gflop.get(method) if args.gflop else None) or \
            flops_per_sample(method, args.size, data_root) / 1e9
        h100 = UTILISATION * H100_BF16_DENSE / (gflop * 1e9)
        for path, (recipe, options) in PATHS[method].items():
            if args.paths and path not in args.paths:
                continue
            root = data_root
            if recipe:
                root = packed_data(method, load_recipe(method, None, args.size, data_root),
                                   data_root, args.data_cache)
            cfg = load_recipe(method, recipe, args.size, root, options)
            for _ in range(args.repeat):
                row = dict(method=method, path=path, recipe=recipe or METHODS[method].recipe,
                           options=options, gflop_per_sample=round(gflop, 2),
                           h100_samples_per_s=round(h100), load_average=os.getloadavg()[0],
                           after_epochs=args.after_epochs,
                           **producer_row(cfg, args.batch_size, args.batches, args.after_epochs),
                           **(worker_row(cfg, args.batch_size, args.after_epochs)
                              if args.in_worker else {}))
                row['cores_per_h100'] = round(h100 / row['samples_per_cpu_s'], 1)
                in_worker = row.get('worker_samples_per_cpu_s')
                if in_worker:
                    row['cores_per_h100_in_workers'] = round(h100 / in_worker, 1)
                rows.append(row)
                print(f"| {method} | {path} | {row['samples_per_cpu_s']:,.0f} | "
                      f"{in_worker or float('nan'):,.0f} | "
                      f"{row.get('worker_minor_faults_per_sample', float('nan')):,.0f} | "
                      f"{row['mb_per_sample']:.2f} | {row['gflop_per_sample']:.1f} | "
                      f"{row['h100_samples_per_s']:,} | {row['cores_per_h100']:,.1f} | "
                      f"{row.get('cores_per_h100_in_workers', float('nan')):,.1f} | "
                      f"load {row['load_average']:.2f}", flush=True)
    out = write_results(f'data_pipeline_producer_{args.size}size{args.tag}',
                        torch.device('cpu'), dict(
        size=args.size, batch_size=args.batch_size, batches=args.batches, samples=args.samples,
        cpu=device_name(torch.device('cpu')), h100_bf16_dense_flops=H100_BF16_DENSE,
        utilisation=UTILISATION, rows=rows))
    print(f'wrote {out}')


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



def worker_counts(args: argparse.Namespace) -> None:
    """The worker-count mode: each count's loader rate against the training rate, as JSON."""
    import eossl
    eossl.register_all_modules(init_default_scope=False)
    method = args.methods[0]
    device = pick_device()
    data_root = fake_data(method, args.data_cache, args.samples)
    options = {PERA_BATCH: args.batch_augment} if method == 'pera' else None
    cfg = load_recipe(method, None, args.size, data_root, options)
    train = training_rate(method, args.size, args.batch_size, device_tag(device))
    rows = []
    for workers in args.workers:
        row, batches = loader_rate(cfg, workers, args.batch_size, args.batches,
                                   device if args.batch_augment else None)
        if batches:
            row['preprocessor_samples_per_s'] = preprocessor_rate(cfg, batches, device)
        if train:
            row['loader_over_training'] = round(row['samples_per_s'] / train, 2)
        rows.append(row)
        print(f"{workers} workers: start-up {row['startup_s']:.2f} s, "
              f"{row['samples_per_s']:.1f} samples/s")
    threads = {k: os.environ.get(k) for k in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS',
                                              'MKL_NUM_THREADS', 'GDAL_NUM_THREADS')}
    suffix = '_batchaug' if args.batch_augment else ''
    path = write_results(f'data_pipeline_{method}_{args.size}size{suffix}', device, dict(
        method=method, size=args.size, batch_size=args.batch_size, samples=args.samples,
        batch_augment=args.batch_augment, thread_env=threads, training_images_per_s=train,
        rows=rows))
    print(f'training step: {train} images/s; wrote {path}')


def main(argv: list[str] | None = None) -> None:
    """Command line: the producer table, or ``--workers`` counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--methods', nargs='+', default=list(PATHS), choices=sorted(METHODS))
    parser.add_argument('--size', choices=('cpu', 'recipe'), default='recipe')
    parser.add_argument('--workers', type=int, nargs='+',
                        help='worker-count mode (first of --methods) instead of the table')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--batches', type=int, default=4, help='timed batches per row')
    parser.add_argument('--samples', type=int, default=128,
                        help='fake training samples (table: at least (batches + 1) x batch size, '
                        'so the timed batches stay in one epoch)')
    parser.add_argument('--gflop', type=lambda s: {k: float(v) for k, v in
                                                   (p.split('=') for p in s.split(','))},
                        help='skip FLOP counting: method=GFLOP per sample,...')
    parser.add_argument('--batch-augment', action='store_true',
                        help='worker-count mode, PerA: the batch-wise view path')
    parser.add_argument('--in-worker', action='store_true',
                        help='table: also measure each row inside one DataLoader worker '
                        '(Linux /proc; needs --samples >= 7 x --batch-size)')
    parser.add_argument('--paths', nargs='+', help='table: only these paths (e.g. '
                        "'packed, views on GPU')")
    parser.add_argument('--repeat', type=int, default=1,
                        help='table: measure each row this many times (each one reported)')
    parser.add_argument('--after-epochs', type=int, default=0,
                        help='table: time epoch N, after N whole epochs read untimed (later '
                        "epochs: samples checked in their chunk file already are not hashed "
                        "again, ShardedDataset's check_checksum='first_read')")
    parser.add_argument('--tag', default='', help='table: suffix of the results file name')
    parser.add_argument('--data-cache', type=Path,
                        default=Path(tempfile.gettempdir()) / 'eossl-benchmark-data')
    args = parser.parse_args(argv)
    if args.workers:
        worker_counts(args)
    else:
        producer_table(args)


if __name__ == '__main__':
    main()
