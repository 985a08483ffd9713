"""Pack an eossl dataset into litdata chunks for ``ShardedDataset``, or verify a packed folder.

``eossl-pack-shards CONFIG OUT_DIR [--samples-per-shard 1000]
[--workers 8] [--cfg-options ...]`` builds the dataset of CONFIG (``train_dataloader.dataset``
of a recipe or dataset config, or a top-level ``dataset``; ``--dataset-key`` picks another) and
writes its items — every band at its native dtype and resolution, band names, georeference,
labels and other fields — into OUT_DIR in litdata's format (docs/shards.md; needs the
``streaming`` extra). A rerun skips the chunks already finished. SSL4EO-S12 draws a random
season per access unless built with ``seasons='all'``, so pack it with ``--cfg-options
train_dataloader.dataset.seasons=all``.

``--layout compact`` (the layout a GPU should be fed from) runs the recipe's loading transforms
(``LoadMultiBandImage`` / ``LoadPairedModalities`` / ``LoadMMEarthSample``, the leading steps of
the dataset's pipeline) once, at packing, and stores per sample one contiguous array per
modality on the recipe's grid in a small dtype: uint16 reflectance, int16 elevation, uint8
classes, float16 backscatter (dB); missing pixels are the integer dtype's extreme value (uint16
65535) or NaN. Bands of other resolutions are resampled onto the recipe's grid by that loader
(its ``resample``, NaN-aware bilinear in the recipes) and rounded to the nearest integer (≤ 0.5
DN). MMEarth rows are stored raw, the input and every pretext target in one record. A worker then
reads one blob instead of 13 files and hands the integers to the data preprocessor; read it with
``LoadPackedBands`` (``*-packed.py`` recipes). Each compact record carries an xxh3-64 checksum of
its bytes (the files layout: CRC-32), checked when read (``ShardedDataset``'s
``check_checksum``). The default ``--layout files`` keeps
every raster as stored (any pipeline reads it); both layouts stay readable by ``ShardedDataset``.

``--verify`` re-reads OUT_DIR and checks its counts (against CONFIG's dataset when given, not
as ``-``), every chunk's size and sha256; it exits 1 and lists each problem with its chunk file.
"""
import argparse
import sys
from collections.abc import Sequence

from mmengine.config import Config
from mmengine.registry import DefaultScope

import eossl
from eossl.cli.launch.overrides import add_cfg_options, load_recipe
from eossl.datasets.shards import pack_dataset, verify_shards
from eossl.datasets.shards.compact_codec import loading_steps
from eossl.registry import DATASETS


def dataset_config(cfg: Config, key: str | None) -> dict:
    """The dataset section of ``cfg`` at the dotted ``key`` (default: the training dataset)."""
    keys = [key] if key else ['train_dataloader.dataset', 'dataset']
    for dotted in keys:
        node = cfg
        for part in dotted.split('.'):
            node = node.get(part) if hasattr(node, 'get') else None
        if isinstance(node, dict) and 'type' in node:
            return dict(node)
    raise KeyError(f'{cfg.filename}: no dataset config (a dict with "type") at '
                   f'{" or ".join(keys)}; name it with --dataset-key')


def build_dataset(cfg: Config, key: str | None):
    """The dataset to pack, without its pipeline (the raw items are packed), its config and
    its pipeline's config."""
    original = dataset_config(cfg, key)
    section = dict(original, pipeline=[], lazy_init=False)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'eossl')):
        dataset = DATASETS.build(section)
    dataset.full_init()
    return dataset, section, list(original.get('pipeline') or [])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help="dataset config or recipe ('-' with --verify: no "
                        'comparison with the source dataset)')
    parser.add_argument('out_dir', help='the output folder (local; upload it to object storage '
                        'after)')
    parser.add_argument('--dataset-key', help='dotted path of the dataset config in CONFIG')
    parser.add_argument('--samples-per-shard', type=int, default=1000,
                        help='items per chunk (aim for 64 MB - 1 GB chunks)')
    parser.add_argument('--workers', type=int, default=0, help='parallel processes')
    parser.add_argument('--layout', choices=('files', 'compact'), default='files',
                        help="'files': rasters as stored; 'compact': decoded once by the "
                        "recipe's loader into one small-dtype array per modality, with an "
                        'xxh3-64 checksum per record (docs/shards.md, "Compact layout")')
    parser.add_argument('--verify', action='store_true',
                        help='check OUT_DIR instead of packing')
    add_cfg_options(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; returns the exit status (1 when verification finds a problem)."""
    args = parse_args(argv)
    eossl.register_all_modules(init_default_scope=False)
    dataset = cfg = None
    if args.config != '-':
        cfg = load_recipe(args.config, args.cfg_options)
        dataset, section, pipeline = build_dataset(cfg, args.dataset_key)
    if args.verify:
        report = verify_shards(args.out_dir, None if dataset is None else len(dataset),
                               workers=args.workers)
        for problem in report.problems:
            print(f'PROBLEM: {problem}', file=sys.stderr)
        print(f'{args.out_dir}: {report.shards} chunks, {report.samples} samples, '
              f'{"OK" if report.ok else f"{len(report.problems)} problem(s)"}')
        return 0 if report.ok else 1
    if dataset is None:
        raise SystemExit('packing needs a CONFIG naming the dataset to pack')
    loaders = loading_steps(pipeline) if args.layout == 'compact' else None
    index = pack_dataset(dataset, args.out_dir, samples_per_shard=args.samples_per_shard,
                         workers=args.workers, source=section, layout=args.layout,
                         loaders=loaders)
    print(f'{args.out_dir}: {index["eossl"]["num_samples"]} samples in {len(index["chunks"])} '
          'chunks')
    return 0


if __name__ == '__main__':
    sys.exit(main())
