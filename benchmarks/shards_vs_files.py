"""Samples per second read from tar shards vs from the folder of GeoTIFFs they were packed from.

Data: a generated SSL4EO-S12 S2 L1C folder in the official layout (one GeoTIFF per band and
season, 13 per sample at native 10/20/60 m sizes: many small files), packed with
``pack_dataset``; both sides hold the same samples. One pass = every sample read through a
pipeline in this process (no DataLoader workers, so the numbers are per core); passes over
files and shards alternate (``common.time_interleaved``) and the median is reported. Pipelines:

- ``raw``: the sample's bands as stored (files: rasterio opens and reads the 13 files;
  shards: the sample's bytes are read and decoded, no transform);
- ``load_10m``: ``LoadMultiBandImage`` of the four 10 m bands (no resampling);
- ``load_all``: ``LoadMultiBandImage`` of all 13 bands onto the 264 px grid (the PerA recipe's
  loader; its resampling costs the same on both sides).

Both sides read from the page cache (the files were just written); on a shared network file
system, where every file open is a metadata round trip, the gap is larger.

    python benchmarks/shards_vs_files.py --locations 32 --passes 3
"""
import argparse
import tempfile
import time
from pathlib import Path

import rasterio
import torch
from mmengine.registry import DefaultScope

import eossl  # noqa: F401  (registers the components)
from common import median, time_interleaved, write_results
from eossl.datasets import SSL4EOS12, ShardedDataset
from eossl.datasets.shards import pack_dataset
from eossl.testing import make_fake_ssl4eo_s12

PIPELINES = {
    'raw': [],
    'load_10m': [dict(type='LoadMultiBandImage', modality='s2', bands=['B2', 'B3', 'B4', 'B8'])],
    'load_all': [dict(type='LoadMultiBandImage', modality='s2', target_size=264)],
}


def parse_args() -> argparse.Namespace:
    """Data size and timing options."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--locations', type=int, default=32, help='4 seasons each')
    parser.add_argument('--size', type=int, default=264, help='10 m band side (real: 264)')
    parser.add_argument('--samples-per-shard', type=int, default=64)
    parser.add_argument('--passes', type=int, default=3, help='timed passes per case')
    parser.add_argument('--warmup', type=int, default=1, help='untimed passes first')
    return parser.parse_args()


def read_files_raw(dataset: SSL4EOS12) -> None:
    """Every band file of every sample, opened and read at its native size."""
    for i in range(len(dataset)):
        for path in dataset.get_data_info(i)['paths']['s2'].values():
            with rasterio.open(path) as src:
                src.read()


def main() -> None:
    """Generate, pack, time every pipeline on files and shards, write the results JSON."""
    args = parse_args()
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
                             samples_per_shard=args.samples_per_shard)
        packed = time.perf_counter() - start
        num = index.num_samples
        files_bytes = sum(p.stat().st_size for p in (root / 'files').rglob('*.tif'))
        shard_bytes = sum(p.stat().st_size for p in (root / 'shards').glob('*.tar'))
        runs = {}
        for name, pipeline in PIPELINES.items():
            files = SSL4EOS12(**source, pipeline=pipeline)
            shards = ShardedDataset(root / 'shards', pipeline=pipeline, shuffle_buffer=64)
            calls = {'files': (lambda files=files: read_files_raw(files)) if name == 'raw'
                     else (lambda files=files: [files[i] for i in range(len(files))]),
                     'shards': lambda shards=shards: list(shards)}
            times = time_interleaved(calls, torch.device('cpu'), args.warmup, args.passes)
            rates = {k: num / median(v) for k, v in times.items()}
            runs[name] = dict(files_samples_per_s=rates['files'],
                              shards_samples_per_s=rates['shards'],
                              speedup=rates['shards'] / rates['files'],
                              pass_seconds={k: [round(t, 4) for t in v] for k, v in times.items()})
            print(f'{name:9s} files {rates["files"]:8.1f} samples/s  shards '
                  f'{rates["shards"]:8.1f} samples/s  x{rates["shards"] / rates["files"]:.1f}')
    path = write_results('shards_vs_files', torch.device('cpu'), dict(
        config=vars(args), samples=num, files=num * 13, files_mib=files_bytes / 2**20,
        shards=len(index.shards), shards_mib=shard_bytes / 2**20,
        generate_seconds=generated, pack_seconds=packed, runs=runs))
    print(f'wrote {path}')


if __name__ == '__main__':
    main()
