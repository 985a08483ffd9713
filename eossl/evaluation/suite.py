"""Run a benchmark suite: every (dataset × protocol × label fraction × seed) for an encoder and
its floors, each finished run stored at once so a killed suite resumes where it stopped.

A suite is an mmengine config with

- ``datasets``: a list of ``dict(name, task, multi_label, dataset)`` where ``task`` is
  ``'classification'`` or ``'segmentation'`` and ``dataset`` is a dataset config dict with a
  loading ``pipeline`` (see :mod:`eossl.evaluation.probe_data`); ``split`` is set per split;
- ``protocols``: among ``'frozen-probe-linear'``, ``'frozen-probe-knn'``; or
  ``['copernicus-l2']`` alone, with ``tasks`` instead of ``datasets`` (each task trained by its
  recipe through mmengine's Runner, see :mod:`eossl.evaluation.recipe_suite`);
- ``fractions``: training-label fractions (nested, stratified; 1.0 = all);
- ``seeds``: the label-fraction draws and bootstrap seeds;
- ``floors``: among ``'random'`` (the same architecture, random init, seed 0),
  ``'imagestats'``, ``'rcf'``;
- ``missing_bands``: ``'fill'`` (0 after normalisation, PANGAEA) or ``'drop'`` (stem slices
  removed), see :mod:`eossl.evaluation.band_adapt`;
- ``bootstrap_draws`` (default 1000).

``results.json`` in the work dir maps ``'model|dataset|protocol|fraction|seed'`` to its record
and is rewritten (atomically) after every run. A dataset whose files cannot be read is reported
(printed and stored under ``unreachable`` with the reason) and skipped, never silently; so is
a dataset that shares no band with the encoder (the reason names both band lists).
"""
import copy
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import print_log
from rich.progress import Progress

from .band_adapt import drop_stem_bands, plan_bands
from .encoder import Encoder
from .floors import RandomConvFeatures, imagestats
from .fractions import nested_fractions
from .probe_data import SplitArrays, band_mean_std, load_split
from .probes import run_probe
from .recipe_suite import PROTOCOL as RECIPE_PROTOCOL
from .recipe_suite import run_recipe_suite
from .seg_probe import run_seg_probe

PROTOCOLS = ('frozen-probe-linear', 'frozen-probe-knn')
FLOORS = ('random', 'imagestats', 'rcf')
SPLITS = ('train', 'val', 'test')


def run_key(model: str, dataset: str, protocol: str, fraction: float, seed: int) -> str:
    """The results.json key of one run."""
    return f'{model}|{dataset}|{protocol}|{fraction:g}|{seed}'


def load_results(path: Path, encoder_name: str) -> dict:
    """The stored results of ``path`` (empty when absent); refuses another encoder's file."""
    if not path.is_file():
        return {'encoder': encoder_name, 'runs': {}, 'unreachable': {}}
    results = json.loads(path.read_text(encoding='utf-8'))
    if results.get('encoder') != encoder_name:
        raise ValueError(f'{path} holds results of encoder {results.get("encoder")!r}, not '
                         f'{encoder_name!r}; use another --work-dir')
    results.setdefault('unreachable', {})
    return results


def save_results(path: Path, results: dict) -> None:
    """Write ``results`` to ``path`` atomically (a killed write never corrupts the file)."""
    tmp = path.with_suffix('.json.tmp')
    tmp.write_text(json.dumps(results, indent=1, sort_keys=True), encoding='utf-8')
    os.replace(tmp, path)


def _normalised(split: SplitArrays, encoder: Encoder, mean_std, missing: str):
    """Encoder-ready ``(N, C_enc, S, S)`` images of ``split`` and the plan's encoder bands."""
    plan = plan_bands(split.bands, encoder.bands, missing)
    mean, std = mean_std
    images = (split.images - mean[None, :, None, None]) / std[None, :, None, None]
    return plan.apply(torch.nan_to_num(images, nan=0.0)), plan


def _dataset_stats(train: SplitArrays, encoder: Encoder) -> tuple[torch.Tensor, torch.Tensor]:
    """Per dataset band ``(mean, std)``: the encoder's statistics by name where it has them,
    else the training split's."""
    mean, std = band_mean_std(train.images)
    own = encoder.normalisation()
    if own is not None:
        by_name = {b: i for i, b in enumerate(encoder.bands)}
        for i, band in enumerate(train.bands):
            if band in by_name:
                mean[i], std[i] = own[0][by_name[band]], own[1][by_name[band]]
    return mean, std


def _feature_fns(encoder: Encoder, random: Encoder | None, floors: list[str],
                 in_channels: int) -> dict[str, Callable]:
    rcf = RandomConvFeatures(in_channels, seed=0)
    fns = {encoder.name: encoder.features}
    if 'random' in floors and random is not None:
        fns['random'] = random.features
    if 'imagestats' in floors:
        fns['imagestats'] = lambda x, grid=None: imagestats(x, grid)
    if 'rcf' in floors:
        fns['rcf'] = lambda x, grid=None: rcf(x, grid)
    return fns


def _encoder_for(encoder: Encoder, plan) -> Encoder:
    """``encoder`` itself, or (``missing='drop'``) a copy whose stem takes the plan's bands."""
    if plan.encoder_bands == encoder.bands:
        return encoder
    backbone = copy.deepcopy(encoder.backbone)
    drop_stem_bands(backbone, encoder.bands, plan.encoder_bands)
    return Encoder(backbone, plan.encoder_bands, encoder.stats, encoder.img_size, encoder.name)


def run_suite(suite, encoder: Encoder, random: Encoder | None, work_dir: str | Path,
              log: Callable[[str], None] = print, spec: Config | None = None) -> dict:
    """Run every pending run of ``suite`` (a Config or dict) and return the results dict.

    ``spec`` (the encoder spec) is needed by ``copernicus-l2`` suites only
    (:mod:`eossl.evaluation.recipe_suite`).
    """
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / 'results.json'
    results = load_results(path, encoder.name)
    protocols, floors = list(suite['protocols']), list(suite.get('floors', FLOORS))
    if RECIPE_PROTOCOL in protocols:
        return _run_recipes(suite, encoder, random, spec, floors, results, path, work_dir, log)
    for name, options in (('protocols', protocols), ('floors', floors)):
        allowed = PROTOCOLS if name == 'protocols' else FLOORS
        unknown = [p for p in options if p not in allowed]
        if unknown:
            raise ValueError(f'suite {name}: unknown {unknown}; choose from {allowed}')
    fractions, seeds = list(suite['fractions']), list(suite['seeds'])
    missing = suite.get('missing_bands', 'fill')
    draws = int(suite.get('bootstrap_draws', 1000))
    models = [encoder.name] + floors
    total = len(suite['datasets']) * len(models) * len(protocols) * len(fractions) * len(seeds)
    with Progress(transient=False) as progress:
        bar = progress.add_task('benchmark', total=total)
        for entry in suite['datasets']:
            keys = [run_key(m, entry['name'], p, f, s) for m in models for p in protocols
                    for f in fractions for s in seeds]
            pending = [k for k in keys if k not in results['runs']]
            progress.advance(bar, len(keys) - len(pending))
            if not pending:
                continue
            try:
                splits = {s: load_split(entry['dataset'], s, encoder.img_size) for s in SPLITS}
            except (OSError, KeyError, ValueError) as err:
                message = f'{type(err).__name__}: {err}'
                results['unreachable'][entry['name']] = message
                save_results(path, results)
                log(f'SKIPPED dataset {entry["name"]}: unreachable ({message})')
                print_log(f'eossl-benchmark: dataset {entry["name"]} skipped: {message}',
                          logger='current', level=logging.WARNING)
                progress.advance(bar, len(pending))
                continue
            try:
                plan_bands(splits['train'].bands, encoder.bands, missing)
            except ValueError as err:
                results['unreachable'][entry['name']] = f'incompatible bands: {err}'
                save_results(path, results)
                log(f'SKIPPED dataset {entry["name"]}: {err}')
                progress.advance(bar, len(pending))
                continue
            results['unreachable'].pop(entry['name'], None)
            _run_dataset(entry, splits, encoder, random, floors, protocols, fractions, seeds,
                         missing, draws, results, path, lambda: progress.advance(bar), log)
    return results


def _run_recipes(suite, encoder, random, spec, floors, results, path, work_dir, log) -> dict:
    """A ``copernicus-l2`` suite: every task trained by its recipe (encoder, random floor)."""
    if list(suite['protocols']) != [RECIPE_PROTOCOL] or set(floors) - {'random'}:
        raise ValueError(f"suite: protocols={list(suite['protocols'])}, floors={floors}; a "
                         f"{RECIPE_PROTOCOL} suite has that protocol alone and at most the "
                         "'random' floor (imagestats / rcf are not trainable backbones)")
    if spec is None:
        raise ValueError(f'a {RECIPE_PROTOCOL} suite needs the encoder spec (spec=...)')
    models = {encoder.name: (encoder, spec)}
    if 'random' in floors and random is not None:
        models['random'] = (random, spec)
    total = len(suite['tasks']) * len(models) * len(suite['fractions']) * len(suite['seeds'])
    with Progress(transient=False) as progress:
        bar = progress.add_task(RECIPE_PROTOCOL, total=total)
        run_recipe_suite(suite, models, results, work_dir, lambda: save_results(path, results),
                         lambda n: progress.advance(bar, n), log)
    return results


def _run_dataset(entry, splits, encoder, random, floors, protocols, fractions, seeds, missing,
                 draws, results, path, advance, log) -> None:
    stats = _dataset_stats(splits['train'], encoder)
    inputs, plan = {}, None
    for s in SPLITS:
        inputs[s], plan = _normalised(splits[s], encoder, stats, missing)
    if plan.missing or plan.dropped:
        log(f'{entry["name"]}: encoder bands missing in the dataset {list(plan.missing)} '
            f'({missing}); dataset bands not used {list(plan.dropped)}')
    own = _encoder_for(encoder, plan)
    rand = _encoder_for(random, plan) if random is not None else None
    segmentation = entry['task'] == 'segmentation'
    multi_label = bool(entry.get('multi_label', False))
    num_classes = len(splits['train'].classes) or 1 + max(
        (c for item in splits['train'].labels for c in item), default=0)
    grid = tuple(own.features(inputs['train'][:1]).shape[2:]) if segmentation else None
    for model, fn in _feature_fns(own, rand, floors, inputs['train'].shape[1]).items():
        keys = [(p, f, s) for p in protocols for f in fractions for s in seeds
                if run_key(model, entry['name'], p, f, s) not in results['runs']]
        if not keys:
            continue
        start = time.perf_counter()
        feats = {s: _features(fn, inputs[s], grid, model) for s in SPLITS}
        results.setdefault('feature_seconds', {})[f'{model}|{entry["name"]}'] = round(
            time.perf_counter() - start, 3)
        targets = {s: _targets(splits[s], num_classes, multi_label, segmentation)
                   for s in SPLITS}
        subsets = {seed: nested_fractions(splits['train'].labels, fractions, seed)
                   for seed in seeds}
        for protocol, fraction, seed in keys:
            index = np.asarray(subsets[seed][fraction])
            train = (feats['train'][index], targets['train'][index])
            kind = protocol.rsplit('-', 1)[1]
            probe = run_seg_probe if segmentation else run_probe
            extra = {} if segmentation else {'multi_label': multi_label}
            start = time.perf_counter()
            record = probe(kind, train, (feats['val'], targets['val']),
                           (feats['test'], targets['test']), num_classes, seed=seed,
                           draws=draws, **extra)
            record.update(model=model, dataset=entry['name'], protocol=protocol,
                          fraction=fraction, seed=seed, n_train=len(index),
                          seconds=round(time.perf_counter() - start, 3))
            results['runs'][run_key(model, entry['name'], protocol, fraction, seed)] = record
            save_results(path, results)
            advance()


def _features(fn, images: torch.Tensor, grid, model: str) -> np.ndarray:
    """Pooled ``(N, D)`` or spatial ``(N, D, h, w)`` features of one model."""
    if model in ('imagestats', 'rcf'):
        return fn(images, grid).numpy()
    maps = fn(images)
    return (maps if grid else maps.mean(dim=(2, 3))).numpy()


def _targets(split: SplitArrays, num_classes: int, multi_label: bool,
             segmentation: bool) -> np.ndarray:
    if segmentation:
        if split.masks is None:
            raise ValueError('a segmentation dataset whose pipeline writes no gt_seg_map')
        return split.masks.numpy()
    if multi_label:
        out = np.zeros((len(split.labels), num_classes), dtype=int)
        for i, labels in enumerate(split.labels):
            out[i, labels] = 1
        return out
    return np.array([labels[0] for labels in split.labels])
