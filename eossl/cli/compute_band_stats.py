"""Per-band mean/std of a user's dataset, for the ``mean``/``std`` of ``EODataPreprocessor``.

``eossl-compute-band-stats RECIPE --out stats.json`` iterates the
recipe's training dataset with only its loading transforms (``Load*``), streaming: each sample's
per-band count, mean and sum of squared deviations are merged in float64 (Chan et al.'s parallel
update), so nothing is held in memory and large values do not cancel. NaN (nodata, as the loaders
write it) is ignored. The JSON is ``{band: {mean, std, count}}`` (``std`` is the population std);
with several loaded keys (paired modalities) it is ``{key: {band: {...}}}``. A snippet to paste
into a recipe is printed.

A config holding just ``dataset = dict(...)`` works too; ``--modality s2 --bands B2 B3 B4`` then
loads that modality with ``LoadMultiBandImage`` instead of the config's loading steps. Without
``--bands`` the bands are read in the order the recipe feeds its model (its own loading step's
bands for that modality, else the model's: ``data_preprocessor.bands``, ``<modality>_backbone``
or ``backbone`` bands), so the printed mean/std line up with the model's channels whatever order
the files store them in; only a recipe that names no order gets the file's order, with a warning.
"""
import argparse
import json
import logging
import time
from collections.abc import Iterable, Iterator

import numpy as np
from mmengine.config import Config
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from eossl.cli.launch.overrides import add_cfg_options, load_recipe
from eossl.datasets.bands import resolve_band_order
from eossl.datasets.errors import InvalidSampleError
from eossl.registry import DATASETS, TRANSFORMS
from eossl.utils import ensure_parent_dir, register_all_modules

BandStats = dict[str, dict[str, float]]


class RunningBandStats:
    """Streaming per-band count / mean / M2 (float64) of ``(C, H, W)`` arrays, NaN ignored."""

    def __init__(self, bands: tuple[str, ...]) -> None:
        self.bands = bands
        self.count = np.zeros(len(bands), np.float64)
        self.mean = np.zeros(len(bands), np.float64)
        self.m2 = np.zeros(len(bands), np.float64)

    def update(self, array: np.ndarray) -> None:
        """Merge one sample's valid pixels into the running statistics."""
        data = array.reshape(array.shape[0], -1).astype(np.float64)
        valid = ~np.isnan(data)
        count = valid.sum(axis=1).astype(np.float64)
        mean = np.where(valid, data, 0).sum(axis=1) / np.maximum(count, 1)
        m2 = np.where(valid, (data - mean[:, None]) ** 2, 0).sum(axis=1)
        total = self.count + count
        delta = mean - self.mean
        weight = np.divide(count, total, out=np.zeros_like(total), where=total > 0)
        self.mean += delta * weight
        self.m2 += m2 + delta ** 2 * self.count * weight
        self.count = total

    def result(self) -> BandStats:
        """``{band: {mean, std, count}}``; a band that never had a valid pixel gets NaN."""
        std = np.sqrt(np.divide(self.m2, self.count, out=np.full_like(self.m2, np.nan),
                                where=self.count > 0))
        mean = np.where(self.count > 0, self.mean, np.nan)
        return {b: {'mean': float(m), 'std': float(s), 'count': int(c)}
                for b, m, s, c in zip(self.bands, mean, std, self.count, strict=True)}


def output_keys(results: dict) -> list[str]:
    """Keys a loader wrote, found through their ``<key>_bands`` companions."""
    return [k[:-len('_bands')] for k in results
            if k.endswith('_bands') and isinstance(results.get(k[:-len('_bands')]), np.ndarray)]


def compute_band_stats(samples: Iterable[dict], keys: list[str] | None = None,
                       log_interval: int = 100, total: int | None = None
                       ) -> dict[str, BandStats]:
    """``{key: {band: {mean, std, count}}}`` over loaded ``samples`` (results dicts).

    Args:
        samples: results dicts holding float ``(C, H, W)`` arrays and ``<key>_bands`` names.
        keys: which arrays to measure; default every key with a ``<key>_bands`` entry.
        log_interval: log progress every this many samples.
        total: number of samples, for the progress message.
    """
    running: dict[str, RunningBandStats] = {}
    start, seen = time.time(), 0
    for seen, results in enumerate(samples, start=1):
        for key in keys or output_keys(results):
            array = results[key]
            bands = tuple(results.get(f'{key}_bands') or map(str, range(array.shape[0])))
            stats = running.setdefault(key, RunningBandStats(bands))
            if bands != stats.bands:
                raise ValueError(f"sample {results.get('sample_id')!r}: {key!r} has bands "
                                 f'{bands}, earlier samples had {stats.bands}')
            stats.update(array)
        if seen % log_interval == 0:
            rate = seen / max(time.time() - start, 1e-9)
            print_log(f'band stats: {seen}/{total or "?"} samples ({rate:.1f}/s)', 'current')
    if not running:
        raise ValueError(f'no band arrays found in {seen} samples; is a Load* transform in the '
                         'pipeline?')
    return {key: stats.result() for key, stats in running.items()}


def config_snippet(stats: dict[str, BandStats]) -> str:
    """An ``EODataPreprocessor`` line with the computed mean/std (per modality when several)."""
    def values(band_stats: BandStats, field: str) -> list[float]:
        return [round(v[field], 4) for v in band_stats.values()]

    if len(stats) == 1:
        (key, band_stats), = stats.items()
        mean: list[float] | dict[str, list[float]] = values(band_stats, 'mean')
        std: list[float] | dict[str, list[float]] = values(band_stats, 'std')
        bands = f'  # {key}: {", ".join(band_stats)}'
    else:
        mean = {k: values(s, 'mean') for k, s in stats.items()}
        std = {k: values(s, 'std') for k, s in stats.items()}
        bands = ''.join(f'\n# {k}: {", ".join(s)}' for k, s in stats.items())
    return f"data_preprocessor = dict(type='EODataPreprocessor', mean={mean}, std={std}){bands}"


def loading_steps(cfg: Config, dataset_cfg: dict, modality: str | None,
                  bands: list[str] | None) -> list[dict]:
    """The ``Load*`` steps of the dataset's pipeline, or one loader for ``modality``."""
    if modality is not None:
        return [dict(type='LoadMultiBandImage', modality=modality, bands=bands, out_key=modality)]
    pipeline = dataset_cfg.get('pipeline') or cfg.get('train_pipeline') or []
    steps = [step for step in pipeline
             if str(step.get('type', '')).split('.')[-1].startswith('Load')]
    if not steps:
        raise ValueError('the dataset pipeline has no Load* transform; pass --modality (and '
                         '--bands) to say what to load')
    return steps


def model_band_order(cfg: Config, dataset_cfg: dict, modality: str) -> tuple[str, ...] | None:
    """The band order the recipe feeds its model for ``modality`` (see the module docstring);
    None when the recipe names none."""
    pipeline = dataset_cfg.get('pipeline') or cfg.get('train_pipeline') or []
    for step in pipeline:
        per_modality = (step.get('modalities') or {}).get(modality) or {}  # paired loaders
        bands = step.get('bands') if step.get('modality') == modality else \
            per_modality.get('bands') if isinstance(per_modality, dict) else None
        if bands:
            return resolve_band_order(bands)
    model = cfg.get('model') or {}
    preprocessor_bands = (model.get('data_preprocessor') or {}).get('bands')
    if isinstance(preprocessor_bands, dict):
        preprocessor_bands = preprocessor_bands.get(modality)
    for bands in (preprocessor_bands, (model.get(f'{modality}_backbone') or {}).get('bands'),
                  (model.get('backbone') or {}).get('bands')):
        if bands:
            return resolve_band_order(bands)
    return None


def iter_samples(dataset: BaseDataset, steps: list[dict], skip_invalid: bool,
                 max_samples: int | None) -> Iterator[dict]:
    """Loaded results of the dataset's items in index order (invalid ones skipped if asked)."""
    transforms = [TRANSFORMS.build(step) for step in steps]
    count = len(dataset) if max_samples is None else min(max_samples, len(dataset))
    for index in range(count):
        results = dataset.get_data_info(index)
        try:
            for transform in transforms:
                results = transform(results)
        except InvalidSampleError as err:
            if not skip_invalid:
                raise
            print_log(f'skipping sample {index}: {err}', 'current', level=logging.WARNING)
            continue
        yield results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description='Per-band mean/std of a dataset')
    parser.add_argument('config', help='recipe (uses <split>_dataloader.dataset) or a config '
                        'with a top-level `dataset`')
    parser.add_argument('--split', default='train', help='dataloader to read (default: train)')
    parser.add_argument('--modality', help='load this modality instead of the Load* steps')
    parser.add_argument('--bands', nargs='+', help='bands of --modality (default: all)')
    parser.add_argument('--keys', nargs='+', help='loaded keys to measure (default: all)')
    parser.add_argument('--max-samples', type=int, help='stop after this many samples')
    parser.add_argument('--skip-invalid', action='store_true',
                        help='skip samples that raise InvalidSampleError instead of stopping')
    parser.add_argument('--log-interval', type=int, default=100)
    parser.add_argument('--out', default='band_stats.json', help='JSON file to write')
    add_cfg_options(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, BandStats]:
    """Compute, write the JSON, print the snippet; returns ``{key: {band: stats}}``."""
    args = parse_args(argv)
    register_all_modules()
    cfg = load_recipe(args.config, args.cfg_options)
    loader_cfg = cfg.get(f'{args.split}_dataloader')
    dataset_cfg = loader_cfg['dataset'] if loader_cfg else cfg.get('dataset')
    if dataset_cfg is None:
        raise ValueError(f'{args.config}: no {args.split}_dataloader.dataset and no `dataset`')
    bands = args.bands
    if args.modality is not None and bands is None:
        bands = model_band_order(cfg, dataset_cfg, args.modality)
        if bands is None:
            print_log(f'{args.config} names no band order for {args.modality!r}: the statistics '
                      "follow each file's band order; pass --bands in the order your model "
                      'takes them', 'current', level=logging.WARNING)
        else:
            print(f"{args.modality}: the recipe's band order {', '.join(bands)}")
    steps = loading_steps(cfg, dataset_cfg, args.modality, bands)
    dataset = DATASETS.build({**dataset_cfg, 'pipeline': []})
    total = len(dataset) if args.max_samples is None else min(args.max_samples, len(dataset))
    samples = iter_samples(dataset, steps, args.skip_invalid, args.max_samples)
    stats = compute_band_stats(samples, args.keys, args.log_interval, total)
    with open(ensure_parent_dir(args.out), 'w') as file:
        json.dump(next(iter(stats.values())) if len(stats) == 1 else stats, file, indent=2)
    print(f'wrote {args.out} ({total} samples)\n{config_snippet(stats)}')
    return stats


if __name__ == '__main__':
    main()
