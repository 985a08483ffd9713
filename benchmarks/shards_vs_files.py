"""Samples per second read from litdata chunks vs from the folder of GeoTIFFs they were packed
from, in one process and with 2 DataLoader workers; disk and memory of the remote cache.

Data: a generated SSL4EO-S12 S2 L1C folder in the official layout (one GeoTIFF per band and
season, 13 per sample at native 10/20/60 m sizes: many small files), packed with
``pack_dataset``; both sides hold the same samples. Passes over files and chunks alternate
(``common.time_interleaved``) and the median is reported. Pipelines:

- ``raw``: the sample's bands as stored (files: rasterio opens and reads the 13 files;
  chunks: the sample is read and decoded into ``ArrayRaster`` s, no transform);
- ``load_10m``: ``LoadMultiBandImage`` of the four 10 m bands (no resampling);
- ``load_all``: ``LoadMultiBandImage`` of all 13 bands onto the 264 px grid (the PerA recipe's
  loader; its resampling costs the same on both sides).

``1 process`` passes run every sample in this process; ``2 workers`` passes (``load_*``) go
through a ``DataLoader(num_workers=2)``, worker start-up included (files: the map-style
dataset; chunks: ``ShardedDataset``). Both read from the page cache (the files were just
written). Last, one epoch is streamed from an S3-compatible server on 127.0.0.1
(:class:`eossl.testing.s3_server.S3Server`) into a local cache bounded by ``--max-cache-mib``;
its on-disk size is sampled every 20 ms and the peak reported with the process's peak RSS.
Threads: 1 torch/BLAS thread per process.

    python benchmarks/shards_vs_files.py --locations 32 --passes 3
"""
import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '1')

import rasterio  # noqa: E402
import torch  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

import eossl  # noqa: E402,F401  (registers the components)
from common import median, peak_memory_mib, time_interleaved, write_results  # noqa: E402
from eossl.datasets import SSL4EOS12, ShardedDataset  # noqa: E402
from eossl.datasets.shards import pack_dataset  # noqa: E402
from eossl.testing import make_fake_ssl4eo_s12  # noqa: E402
from eossl.testing.s3_server import S3Server  # noqa: E402

PIPELINES = {
    'raw': [],
    'load_10m': [dict(type='LoadMultiBandImage', modality='s2', bands=['B2', 'B3', 'B4', 'B8'])],
    'load_all': [dict(type='LoadMultiBandImage', modality='s2', target_size=264)],
}
BATCH = 8


def parse_args() -> argparse.Namespace:
    """Data size and timing options."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--locations', type=int, default=32, help='4 seasons each')
    parser.add_argument('--size', type=int, default=264, help='10 m band side (real: 264)')
    parser.add_argument('--samples-per-shard', type=int, default=16)
    parser.add_argument('--passes', type=int, default=3, help='timed passes per case')
    parser.add_argument('--warmup', type=int, default=1, help='untimed passes first')
    parser.add_argument('--max-cache-mib', type=float, default=60,
                        help='local cache bound of the remote pass (litdata stalls below about '
                        'workers x 2 pre-downloaded chunks x chunk size)')
    return parser.parse_args()


def read_files_raw(dataset: SSL4EOS12) -> None:
    """Every band file of every sample, opened and read at its native size."""
    for i in range(len(dataset)):
        for path in dataset.get_data_info(i)['paths']['s2'].values():
            with rasterio.open(path) as src:
                src.read()


def through_workers(dataset) -> int:
    """Samples of one pass through a 2-worker DataLoader (streaming: after ``set_epoch``)."""
    if hasattr(dataset, 'set_epoch'):
        dataset.set_epoch(0, batch_size=BATCH)
    loader = DataLoader(dataset, batch_size=BATCH, num_workers=2, collate_fn=list)
    return sum(len(batch) for batch in loader)


def folder_mib(path: Path) -> float:
    """Bytes of the files under ``path``, in MiB."""
    return sum(p.stat().st_size for p in path.rglob('*') if p.is_file()) / 2**20


def remote_epoch(shards: Path, cache: Path, max_cache_mib: float) -> dict:
    """One epoch streamed over S3 from 127.0.0.1 with 2 workers: time and cache sizes."""
    peak, done = [0.0], threading.Event()

    def watch() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], folder_mib(cache) if cache.exists() else 0.0)

    server = S3Server(shards, 'bench')
    with server as url:
        os.environ.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID='bench',
                          AWS_SECRET_ACCESS_KEY='bench', AWS_DEFAULT_REGION='us-east-1',
                          AWS_EC2_METADATA_DISABLED='true')
        from litdata.streaming import downloader
        downloader._OBSTORE_CLIENT_OPTIONS['allow_http'] = 'true'  # loopback http only
        dataset = ShardedDataset('s3://bench', cache_dir=str(cache),
                                 max_cache_size=int(max_cache_mib * 2**20))
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        start = time.perf_counter()
        count = through_workers(dataset)
        seconds = time.perf_counter() - start
        done.set()
        watcher.join()
    rss, what = peak_memory_mib(torch.device('cpu'))
    return dict(samples=count, seconds=seconds, samples_per_s=count / seconds,
                cache_bound_mib=max_cache_mib, cache_peak_mib=peak[0],
                cache_end_mib=folder_mib(cache), main_process_peak_rss_mib=rss, rss_kind=what,
                get_requests=sum(n for (verb, _), n in server.requests.items() if verb == 'GET'))


def main() -> None:
    """Generate, pack, time every pipeline on files and chunks, stream once remotely, write
    the results JSON."""
    args = parse_args()
    torch.set_num_threads(1)
    DefaultScope.get_instance('shards_vs_files', scope_name='eossl')
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        make_fake_ssl4eo_s12(root / 'files', num_locations=args.locations, size=args.size,
                             modalities=('s2c',))
        generated = time.perf_counter() - start
        source = dict(data_root=root / 'files', modality='s2c', seasons='all')
        start = time.perf_counter()
        index = pack_dataset(SSL4EOS12(**source), root / 'shards',
                             samples_per_shard=args.samples_per_shard, workers=2)
        packed = time.perf_counter() - start
        num = index['eossl']['num_samples']
        runs = {}
        for name, pipeline in PIPELINES.items():
            files = SSL4EOS12(**source, pipeline=pipeline)
            shards = ShardedDataset(root / 'shards', pipeline=pipeline)
            calls = {'files': (lambda files=files: read_files_raw(files)) if name == 'raw'
                     else (lambda files=files: [files[i] for i in range(len(files))]),
                     'shards': lambda shards=shards: list(shards)}
            if pipeline:  # (a raw file item is only paths: nothing for workers to read)
                calls.update(files_2_workers=lambda files=files: through_workers(files),
                             shards_2_workers=lambda shards=shards: through_workers(shards))
            times = time_interleaved(calls, torch.device('cpu'), args.warmup, args.passes)
            rates = {k: num / median(v) for k, v in times.items()}
            runs[name] = dict(samples_per_s=rates,
                              speedup_1_process=rates['shards'] / rates['files'],
                              pass_seconds={k: [round(t, 4) for t in v] for k, v in times.items()})
            if pipeline:
                runs[name]['speedup_2_workers'] = (rates['shards_2_workers'] /
                                                   rates['files_2_workers'])
            print(f'{name:9s} ' + '  '.join(f'{k} {v:7.1f}/s' for k, v in rates.items()))
        remote = remote_epoch(root / 'shards', root / 'cache', args.max_cache_mib)
        print(f'remote: {remote["samples_per_s"]:.1f} samples/s, cache peak '
              f'{remote["cache_peak_mib"]:.1f} MiB (bound {args.max_cache_mib} MiB, data '
              f'{folder_mib(root / "shards"):.1f} MiB)')
        payload = dict(config=vars(args), samples=num, files=num * 13,
                       files_mib=folder_mib(root / 'files'), shards=len(index['chunks']),
                       shards_mib=folder_mib(root / 'shards'), generate_seconds=generated,
                       pack_seconds=packed, runs=runs, remote=remote)
    path = write_results('shards_vs_files', torch.device('cpu'), payload)
    print(f'wrote {path}')


if __name__ == '__main__':
    main()
