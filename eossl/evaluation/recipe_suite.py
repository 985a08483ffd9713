"""The ``copernicus-l2`` protocol in a suite: each (task × label fraction × seed) trained and
tested by mmengine's Runner with the task's shipped recipe, the encoder substituted in.

A suite with ``protocols = ['copernicus-l2']`` lists ``tasks``, each
``dict(name, recipe, data_root, metric)``: ``recipe`` a path under ``configs/benchmarks/``
(e.g. ``'copernicus_l2/softcon-vitb14_linear_eurosat-s2.py'``), ``data_root`` the task's folder
under the suite's data root, ``metric`` the key of the test metric (``'accuracy/top1'``,
``'multi-label/mAP'``, ``'mIoU'``). ``floors`` may hold ``'random'`` only (the same
architecture at random init): ``imagestats`` and ``rcf`` are not backbones a recipe can train.

Per run the recipe is loaded with :meth:`mmengine.config.Config.fromfile` and only these fields
change (config merge): ``model.backbone`` is the encoder spec's backbone (its whole
architecture, bands, ``img_size``) with the recipe's output fields (``out_type``,
``out_indices``) and loads the encoder's weights (written to ``<work_dir>/weights/<model>.pth``,
so the runner sees exactly the weights the frozen probes see); the
head / neck widths follow the encoder's ``embed_dims``; a segmentation recipe's
``out_indices`` (chosen for 12 blocks) are mapped proportionally onto the encoder's depth; image
resizes use the encoder's ``img_size``; ``randomness.seed`` is the run's seed; a fraction < 1
passes the nested, stratified training indices (:func:`nested_fractions`) as ``indices``.

``schedule`` (suite field, or ``eossl-benchmark --max-epochs``) shrinks a recipe for CPU demos:
``max_epochs``, ``batch_size``, ``head_channels`` (UPerHead / FCNHead widths), ``num_workers``.
Every change from the recipe is stored in the run's record under ``changes``; a run with any
change but the encoder's own (:func:`is_neutral`) — e.g. a shrunk schedule or an input size
other than the recipe's 224 — is marked ``comparable: false``, and the report labels it and the
published rows beside it as not comparable.
"""
import copy
import logging
import time
from collections.abc import Callable
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import DATASETS
from mmengine.runner import Runner

from eossl.datasets.bands import normalize_band_name, resolve_bands

from .encoder import Encoder
from .fractions import nested_fractions

PROTOCOL = 'copernicus-l2'
SCHEDULE_KEYS = ('max_epochs', 'batch_size', 'head_channels', 'num_workers')


def is_neutral(change: str) -> bool:
    """Whether a recorded change leaves a run comparable with the published protocol: the
    encoder under test (``backbone.*``, its weights file) and data-loading workers are; input
    size and schedule changes are not."""
    return change.startswith('backbone.') or change in ('checkpoint', 'num_workers')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _backbone(recipe: dict, spec: dict, img_size: int, layers: int, checkpoint: str,
              changes: dict) -> dict:
    """The spec's backbone (the encoder's whole architecture, ``layers`` blocks) with the
    recipe's output fields and the encoder's weights."""
    out = {k: v for k, v in spec.items() if k != 'init_cfg'}
    out['img_size'] = img_size
    for key in ('out_type', 'out_indices'):
        if key in recipe:
            out[key] = recipe[key]
    if 'out_indices' in recipe and layers != 12:
        out['out_indices'] = _rescaled_indices(recipe['out_indices'], layers)
    out['init_cfg'] = dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')
    for key in ('type', 'arch', 'patch_size', 'img_size', 'bands', 'out_indices',
                'layer_scale_init_value'):
        if recipe.get(key) != out.get(key):
            changes[f'backbone.{key}'] = out.get(key)
    changes['checkpoint'] = checkpoint
    return out


def _rescaled_indices(indices: list[int], layers: int) -> tuple[int, ...]:
    """Block indices chosen for 12 blocks mapped proportionally onto ``layers`` blocks and
    kept distinct (``(4, 6, 10, 11)`` → ``(0, 1, 2, 3)`` for 4 blocks, ``(8, 12, 20, 22)`` for
    24), since the pyramid neck needs one map per index."""
    if layers < len(indices):
        raise ValueError(f'the recipe taps {len(indices)} blocks {tuple(indices)}; the encoder '
                         f'has {layers}')
    out = [min(layers - 1, i * layers // 12) for i in indices]
    for k in range(len(out) - 2, -1, -1):
        out[k] = min(out[k], out[k + 1] - 1)
    return tuple(out)


def _set_size(pipeline: list, size: int, changes: dict) -> None:
    """Resize steps of ``pipeline`` to ``size`` pixels (the encoder's input size)."""
    for step in pipeline:
        key = {'eossl.LoadMultiBandImage': 'target_size', 'eossl.EOResize': 'size'}.get(
            step['type'])
        if key and key in step and step[key] != size:
            step[key] = size
            changes['img_size'] = size


def recipe_config(recipe: str | Path, encoder: Encoder, spec: Config, checkpoint: str,
                  data_root: str, seed: int, schedule: dict, work_dir: Path,
                  indices: list[int] | None = None) -> tuple[Config, dict]:
    """The recipe with the encoder, data root, seed, subset and schedule applied, and the
    ``{field: new value}`` changes from the recipe (see the module docstring)."""
    unknown = sorted(set(schedule) - set(SCHEDULE_KEYS))
    if unknown:
        raise ValueError(f'suite schedule: unknown {unknown}; choose from {SCHEDULE_KEYS}')
    # unformatted config dumps: yapf would cost seconds per run for nothing the run needs
    cfg = Config(Config.fromfile(str(recipe)).to_dict(), filename=str(recipe),
                 format_python_code=False)
    recipe_bands = tuple(normalize_band_name(b)
                         for b in resolve_bands(cfg.model.backbone.get('bands')) or ())
    if recipe_bands != tuple(encoder.bands):
        raise ValueError(f'{recipe}: the recipe feeds bands {list(recipe_bands)}, the encoder '
                         f'takes {list(encoder.bands)}; copernicus-l2 needs the same bands (the '
                         'frozen-probe suites adapt bands by name)')
    changes: dict = {}
    cfg.model.backbone = _backbone(cfg.model.backbone, dict(spec.backbone), encoder.img_size,
                                   encoder.backbone.num_layers, checkpoint, changes)
    dim = encoder.backbone.embed_dims
    model = cfg.model
    if 'head' in model:
        model.head.in_channels = dim
    if model.get('neck'):
        model.neck.embed_dim = dim
        model.decode_head.in_channels = [dim] * len(model.decode_head.in_channels)
        model.auxiliary_head.in_channels = dim
    if 'head_channels' in schedule and 'decode_head' in model:
        model.decode_head.channels = model.auxiliary_head.channels = schedule['head_channels']
        changes['head_channels'] = schedule['head_channels']
    for loader in LOADERS:
        dataset = cfg[loader].dataset
        dataset.data_root = data_root
        _set_size(dataset.pipeline, encoder.img_size, changes)
        for key in ('batch_size', 'num_workers'):
            if key in schedule:
                cfg[loader][key] = schedule[key]
                changes[key] = schedule[key]
        if 'num_workers' in schedule and schedule['num_workers'] == 0:
            cfg[loader].persistent_workers = False
    if indices is not None:
        cfg.train_dataloader.dataset.indices = indices
    if 'max_epochs' in schedule:
        epochs = schedule['max_epochs']
        cfg.train_cfg.max_epochs = epochs
        for scheduler in cfg.param_scheduler:
            scheduler.end = epochs
        changes['max_epochs'] = epochs
    cfg.randomness = dict(seed=seed)
    cfg.work_dir = str(work_dir)
    cfg.log_level = 'WARNING'
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1, save_last=False)
    return cfg, changes


def write_weights(encoder: Encoder, path: Path) -> str:
    """Save ``encoder``'s backbone as ``backbone.*`` keys (what the recipes' init_cfg reads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in
                               encoder.backbone.state_dict().items()}}, path)
    return str(path)


def _train_labels(cfg: Config) -> list[list[int]]:
    """Class indices of each training item (``[]`` for segmentation: a plain seeded draw)."""
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return [list(dataset.get_cat_ids(i)) for i in range(len(dataset))]


def run_recipe_suite(suite, models: dict[str, tuple[Encoder, Config]], results: dict,
                     work_dir: Path, save: Callable[[], None], advance: Callable[[int], None],
                     log: Callable[[str], None]) -> None:
    """Run every pending (task × model × fraction × seed) of a copernicus-l2 ``suite``.

    ``models`` maps a table name to ``(encoder, encoder spec)``; each task's ``recipe`` and
    ``data_root`` are paths as given (``eossl-benchmark`` resolves them); ``save`` stores
    ``results`` (called after every run); ``advance`` moves the progress bar by n runs.
    """
    schedule = dict(suite.get('schedule') or {})
    fractions, seeds = list(suite['fractions']), list(suite['seeds'])
    for task in suite['tasks']:
        keys = [(m, f, s) for m in models for f in fractions for s in seeds]
        pending = [k for k in keys if _key(k, task['name']) not in results['runs']]
        advance(len(keys) - len(pending))
        if not pending:
            continue
        recipe, root = task['recipe'], str(task['data_root'])
        try:
            base, _ = recipe_config(recipe, *models[pending[0][0]], 'unused', root, 0,
                                    schedule, work_dir)
            labels = _train_labels(base)
        except (OSError, KeyError, ValueError) as err:
            message = f'{type(err).__name__}: {err}'
            results['unreachable'][task['name']] = message
            save()
            log(f'SKIPPED task {task["name"]}: {message}')
            print_log(f'eossl-benchmark: task {task["name"]} skipped: {message}',
                      logger='current', level=logging.WARNING)
            advance(len(pending))
            continue
        results['unreachable'].pop(task['name'], None)
        subsets = {s: nested_fractions(labels, fractions, s) for s in seeds}
        for model, fraction, seed in pending:
            encoder, spec = models[model]
            weights = write_weights(encoder, work_dir / 'weights' / f'{_safe(model)}.pth')
            run_dir = work_dir / 'runs' / _safe(_key((model, fraction, seed), task['name']))
            cfg, changes = recipe_config(
                recipe, encoder, spec, weights, root, seed, schedule, run_dir,
                None if fraction == 1 else subsets[seed][fraction])
            start = time.perf_counter()
            metrics = _train_and_test(cfg)
            if task['metric'] not in metrics:
                raise KeyError(f'{recipe}: the test metrics {sorted(metrics)} hold no '
                               f'{task["metric"]!r} (the suite task\'s metric)')
            value = float(metrics[task['metric']])  # mmpretrain / mmseg report in %
            results['runs'][_key((model, fraction, seed), task['name'])] = dict(
                model=model, dataset=task['name'], protocol=PROTOCOL, fraction=fraction,
                seed=seed, metric=task['metric'], value=value,
                ci_low=None, ci_high=None, n_train=len(subsets[seed][fraction]),
                recipe=task['recipe'], changes=changes,
                comparable=all(is_neutral(k) for k in changes),
                seconds=round(time.perf_counter() - start, 3))
            save()
            advance(1)


def _train_and_test(cfg: Config) -> dict:
    """Train ``cfg`` with mmengine's Runner, then return its test metrics."""
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    runner.train()
    return runner.test()


def _key(run: tuple, task: str) -> str:
    model, fraction, seed = run
    return f'{model}|{task}|{PROTOCOL}|{fraction:g}|{seed}'


def _safe(name: str) -> str:
    return ''.join(c if c.isalnum() or c in '-_.' else '_' for c in name)
