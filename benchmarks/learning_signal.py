"""Does each method learn? Pretrain on structured scenes, probe frozen features on held-out ones.

Usage::

    python benchmarks/learning_signal.py --methods softcon,pera,dual_simclr,mpmae|all \
        --budget-s 100[,300,...] [--epochs E] [--seeds 3] [--num-train 256 --num-test 128] \
        [--threads 1] [--jobs 1] [--cfg-options KEY=VALUE ...] --out F.json

(``dual_simclr_zscore``: Dual-SimCLR with its recipe's named z-score option; not in ``all``.)

Per method and seed: structured scenes (:mod:`eossl.testing.structured_layouts`) are written in
the layout of the dataset the method's recipe reads (SSL4EO-S12: SoftCon, PerA; SEN12MS:
Dual-SimCLR; MMEarth h5 with its auxiliary targets: MP-MAE). The shipped recipe is trained on the
train split at the algorithm's own CPU size (``cpu_overrides(cfg, 'probe')``: model and crop
sizes shrunk to a CPU) with its spec's options (``benchmarks/methods/<slug>.py``, the loaders
in-process) and its schedule scaled to the budget (:func:`scale_schedule`); everything
else — pipeline, loss, optimizer and learning rate, hooks — as shipped. The number of epochs is
calibrated (:func:`calibrate`: three epochs are timed, then a fresh run with the same seed and
initial weights trains as many as fit the budget) or fixed by ``--epochs``. The deterministic
loading step of each pipeline is cached in memory (:class:`CachedLoad`: same arrays, read
once), so the budget goes to training.

Frozen backbone features of every train and held-out scene (the recipe's deterministic loading /
normalisation steps on the whole scene, the last backbone stage; PerA: CLS token for the scene,
patch tokens for the map) are probed by :mod:`learning_signal_probes` — kNN and linear scene
classification, linear multi-label mAP, per-cell linear segmentation — for the pretrained
backbone, the same backbone at its random initialisation, and the per-band mean-spectrum baseline
of the same modality. Dual-SimCLR is probed per modality (``s1``, ``s2``) and concatenated.
Several budgets (``--budget-s 60,180``) give a metric-vs-time curve; ``--jobs N`` runs N of the
(method, budget, seed) runs at once, one process each. Results: JSON (every run; mean ± std over
seeds per budget, ``summary[budget]``; loss and monitors at the start and end) and a PNG (linear
accuracy, mAP and segmentation mIoU vs pretraining seconds per method).
"""
import argparse
import copy
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.config import Config, DictAction
from mmengine.dataset import default_collate, pseudo_collate
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from eossl.registry import TRANSFORMS
from learning_signal_probes import mean_spectrum_baseline, probe_all
from methods import LEARNING_SIGNAL, SignalRun

REPO = Path(__file__).resolve().parents[1]
# every method's rows, from its spec file benchmarks/methods/<slug>.py
METHODS: dict[str, SignalRun] = LEARNING_SIGNAL
SHIPPED = tuple(name for name, run in METHODS.items() if run.shipped)  # --methods all
RUNTIME = {'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
           'train_dataloader.pin_memory': False, 'default_hooks.logger.interval': 10,
           'default_hooks.checkpoint': dict(type='ResumableCheckpointHook', interval=10 ** 6),
           'default_hooks.representation_monitor.interval': 10,
           'default_hooks.representation_monitor.warmup_iters': 10 ** 9,
           # one process: the sampler shuffles with the run's seed, as in the published table
           # (with diff_rank_seed — the recipes' multi-rank setting — mmengine draws the sampler
           # seed from the global RNG instead, another data order for the same seed)
           'randomness.diff_rank_seed': False}


@TRANSFORMS.register_module(force=True)
class CachedLoad(BaseTransform):
    """Runs a deterministic loading transform once per sample and returns copies after."""

    def __init__(self, transform: dict) -> None:
        self.inner, self.cache = TRANSFORMS.build(transform), {}

    def transform(self, results: dict) -> dict:
        key = tuple(str(results.get(k)) for k in ('sample_id', 'season', 'h5_index'))
        if key not in self.cache:
            self.cache[key] = self.inner(results)
        return copy.deepcopy(self.cache[key])


class EpochClock(Hook):
    """Times every training epoch and the whole training on ``clock`` (wall time
    ``time.perf_counter``, or process CPU time ``time.process_time`` where a shared machine's
    load must not count); with ``budget_s``, stops after the epoch during which that much time
    has passed (a safety net for a calibration the machine's load made too optimistic)."""

    priority = 'LOWEST'

    def __init__(self, budget_s: float = float('inf'),
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.budget_s, self.clock, self.iters = budget_s, clock, 0
        self.start = self.epoch_start = 0.0
        self.epochs: list[float] = []

    def before_train(self, runner) -> None:
        self.start = self.clock()

    def before_train_epoch(self, runner) -> None:
        self.epoch_start = self.clock()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.iters += 1
        if self.clock() - self.start > self.budget_s:
            runner.train_loop._max_epochs = runner.epoch + 1

    def after_train_epoch(self, runner) -> None:
        self.epochs.append(self.clock() - self.epoch_start)

    @property
    def total(self) -> float:
        """Time since training started."""
        return self.clock() - self.start


def calibrate(cfg: Config, budget_s: float,
              clock: Callable[[], float] = time.perf_counter) -> tuple[int, list[float]]:
    """Epochs that fit ``budget_s`` on ``clock``, from three timed epochs of ``cfg`` (the first
    reads the files, later ones hit the cache; the faster of those two is taken, the load of a
    shared machine only slows an epoch down): ``1 + (budget − first) / cached``."""
    cfg.train_cfg.max_epochs = 3
    runner = Runner.from_cfg(cfg)
    times = EpochClock(clock=clock)
    runner.register_hook(times)
    runner.train()
    first, cached = times.epochs[0], min(times.epochs[1:])
    return max(1, 1 + int((budget_s - first) / cached)), times.epochs


def scale_schedule(cfg: Config, epochs: int) -> dict:
    """Shrink the recipe's epoch schedule to ``epochs``: every epoch-based scheduler's
    ``begin`` / ``end`` / ``T_max`` and the teacher-temperature warm-up scaled by ``epochs /
    max_epochs``. Returns ``{'recipe_epochs', 'epochs', 'factor'}``."""
    recipe_epochs = cfg.train_cfg.max_epochs
    factor = epochs / recipe_epochs
    for sched in cfg.param_scheduler:
        if sched.get('by_epoch', True):
            for key in ('begin', 'end', 'T_max'):
                if sched.get(key):
                    sched[key] = max(1, round(sched[key] * factor))
            if 'end' in sched:
                sched['end'] = max(sched['end'], sched.get('begin', 0) + 1)
    for hook in cfg.get('custom_hooks', []):
        if hook['type'] == 'TeacherTempWarmupHook' and hook.get('by_epoch', True):
            hook['warmup'] = round(hook['warmup'] * factor)
    cfg.train_cfg.max_epochs = epochs
    return dict(recipe_epochs=recipe_epochs, epochs=epochs, factor=factor)


def write_data(method: SignalRun, root: Path, args, seed: int) -> dict:
    """Structured scenes in the method's layout under ``root``."""
    from eossl.testing.structured_layouts import WRITERS
    writer = method.layout if callable(method.layout) else WRITERS[method.layout]
    return writer(root, args.num_train, args.num_test, method.size, seed, **method.write)


def _split_options(method: SignalRun, data: dict, split: str) -> dict:
    """Dataset arguments that select a split of the written data."""
    if 'folder' in data:  # a dataset with named splits in its own folder (MMEarth)
        return {'data_root': str(data['folder']), 'split': split}
    return {'split_file': str(data[f'split_{split}'])}


def build_cfg(name: str, data: dict, root: Path, seed: int, work_dir: Path,
              options: dict | None = None) -> Config:
    """The shipped recipe, shrunk, on the train split, its loading step cached; ``options``
    (``--cfg-options``: a named option of the recipe) merged last."""
    from eossl.models.selfsup.cpu_sizes import apply_cpu_size
    method = METHODS[name]
    cfg = Config.fromfile(REPO / method.recipe)
    apply_cpu_size(cfg, 'probe')  # the method's own CPU size for this benchmark
    # a loading step that resamples tiles (SSL4EO-S12: 264 px) reads the scenes at their size
    size = ({'train_dataloader.dataset.pipeline.0.target_size': method.size}
            if cfg.train_dataloader.dataset.pipeline[0].get('target_size') else {})
    split = {f'train_dataloader.dataset.{k}': v
             for k, v in {'data_root': str(root), **_split_options(method, data, 'train')}.items()}
    cfg.merge_from_dict({**RUNTIME, **method.options, **size, **split, 'randomness.seed': seed,
                         **(options or {})})
    pipeline = cfg.train_dataloader.dataset.pipeline
    pipeline[0] = dict(type='CachedLoad', transform=pipeline[0])
    cfg.work_dir = str(work_dir)
    return cfg


@torch.no_grad()
def features(model, cfg: Config, name: str, data: dict, split: str, order: list[str]) -> dict:
    """``{modality: (scene (N, D), map (N, C, h, w))}`` of a split, in ``order`` (sample ids)."""
    from eossl.registry import DATASETS
    method = METHODS[name]
    pipeline = [dict(step) for step in cfg.train_dataloader.dataset.pipeline[:method.eval_steps]]
    pipeline[0] = dict(pipeline[0]['transform'])
    if method.eval_size is not None:
        pipeline[0]['target_size'] = method.eval_size
    pipeline.append(dict(type='PackEOInputs', keys=method.keys))
    dataset_cfg = dict(cfg.train_dataloader.dataset, pipeline=pipeline,
                       **_split_options(method, data, split))
    for key in ('labels_file', 'unlabeled'):
        dataset_cfg.pop(key, None)
    dataset = DATASETS.build(dataset_cfg)
    ids = [str(dataset.get_data_info(i).get('h5_index', dataset.get_data_info(i)['sample_id']))
           for i in range(len(dataset))]
    collate = (default_collate if cfg.train_dataloader.get('collate_fn', {}).get('type')
               == 'default_collate' else pseudo_collate)
    model.eval()
    parts: dict[str, list] = {}
    for start in range(0, len(dataset), 32):
        batch = collate([dataset[i] for i in range(start, min(start + 32, len(dataset)))])
        inputs = model.data_preprocessor({'inputs': batch['inputs']}, False)['inputs']
        for m, (scene, dense) in model.probe_features(inputs).items():
            parts.setdefault(m, []).append((scene.float(), dense.float()))
    index = [ids.index(i) for i in order]
    return {m: (torch.cat([s for s, _ in p])[index], torch.cat([d for _, d in p])[index])
            for m, p in parts.items()}


def evaluate(model, cfg: Config, name: str, data: dict, labels: dict) -> dict:
    """Probe metrics per modality of the model's frozen features."""
    order = {s: [str(i) for i in labels['sample_id'][labels['split'] == k]]
             for k, s in enumerate(('train', 'test'))}
    train = features(model, cfg, name, data, 'train', order['train'])
    test = features(model, cfg, name, data, 'test', order['test'])
    return {m: probe_all(train[m][0], test[m][0], train[m][1], test[m][1], labels)
            for m in train}, {m: tuple(train[m][1].shape[2:]) for m in train}


def _loss_trace(runner) -> list[float]:
    return [float(v) for v in runner.message_hub.get_scalar('train/loss').data[0]]


def _monitor(runner):
    return next(h for h in runner.hooks if type(h).__name__ == 'RepresentationMonitorHook')


def _amp(cfg: Config, args) -> Config:
    """``--amp``: pretrain under bf16 autocast as ``eossl-train --amp`` does on this CPU
    (:func:`eossl.engine.precision.apply_amp`); the probes extract features in fp32."""
    if getattr(args, 'amp', False):
        from eossl.engine.precision import apply_amp
        apply_amp(cfg, 'cpu')
    return cfg


def run_one(name: str, args, seed: int, scratch: Path, budget_s: float | None = None) -> dict:
    """Pretrain ``name`` once (as many epochs as fit ``budget_s`` seconds; ``None``:
    ``args.epochs``), probe it, its random init and the baselines."""
    method = METHODS[name]
    root = scratch / f'{name}_{seed}_{budget_s}'
    data = write_data(method, root / 'data', args, seed)
    labels = dict(np.load(data['labels']))
    options, epochs, epoch_s = getattr(args, 'cfg_options', None), args.epochs, []
    if budget_s is not None:
        epochs, epoch_s = calibrate(_amp(build_cfg(name, data, root / 'data', seed,
                                                   root / 'calib', options), args), budget_s)
    cfg = _amp(build_cfg(name, data, root / 'data', seed, root / 'work', options), args)
    schedule = scale_schedule(cfg, epochs)
    runner = Runner.from_cfg(cfg)
    runner.model.init_weights()
    random_init, grids = evaluate(runner.model, cfg, name, data, labels)
    budget = EpochClock(float('inf') if budget_s is None else 1.25 * budget_s)
    runner.register_hook(budget)
    runner.train()
    seconds = budget.total
    pretrained, _ = evaluate(runner.model, cfg, name, data, labels)
    baselines = {m: mean_spectrum_baseline(labels, m, grids[m]) for m in grids}
    losses, history = _loss_trace(runner), _monitor(runner).history
    return dict(method=name, budget_s=budget_s, seed=seed, pretrained=pretrained,
                random_init=random_init, mean_spectrum=baselines, grid=grids,
                train_seconds=seconds, calibration_epoch_s=epoch_s, iterations=budget.iters,
                schedule=schedule,
                loss_first10=float(np.mean(losses[:10])), loss_last10=float(np.mean(losses[-10:])),
                monitors_first=history[0] if history else {},
                monitors_last=history[-1] if history else {})


def summarise(runs: list[dict]) -> dict:
    """``{part: {modality: {metric: {mean, std}}}}`` over seeds (std with ddof 1), parts
    ``pretrained``, ``random_init``, ``mean_spectrum`` and the paired per-seed differences
    ``gain_vs_random_init`` and ``gain_vs_mean_spectrum`` (pretrained minus the other)."""
    def stats(values):
        values = np.asarray(values, float)
        return dict(mean=float(values.mean()),
                    std=float(values.std(ddof=1)) if len(values) > 1 else 0.0)
    out = {part: {m: {k: stats([r[part][m][k] for r in runs]) for k in metrics}
                  for m, metrics in runs[0][part].items()}
           for part in ('pretrained', 'random_init', 'mean_spectrum')}
    for other in ('random_init', 'mean_spectrum'):
        out[f'gain_vs_{other}'] = {
            m: {k: stats([r['pretrained'][m][k] - r[other][m][k] for r in runs])
                for k in metrics} for m, metrics in runs[0]['pretrained'].items()}
    return out


PLOTTED = (('linear_acc', 'linear acc.'), ('linear_mAP', 'multi-label mAP'),
           ('seg_mIoU', 'seg. mIoU'))


def plot(results: dict, path: Path) -> None:
    """Held-out linear accuracy, mAP and segmentation mIoU vs pretraining seconds: pretrained
    runs (dots; S1: squares) and their mean per budget (line from the random-init mean at 0 s),
    the mean-spectrum baseline (dashed; S1: dotted), per method and modality (not S1+S2)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(PLOTTED), figsize=(5 * len(PLOTTED), 4))
    for ax, (metric, title) in zip(axes, PLOTTED):
        for i, (name, entry) in enumerate(results['methods'].items()):
            runs = entry['runs']
            for modality in runs[0]['pretrained']:
                if modality == 's1s2':
                    continue
                color, s1 = f'C{i}', modality == 's1'
                ax.scatter([r['train_seconds'] for r in runs],
                           [r['pretrained'][modality][metric] for r in runs], color=color,
                           marker='s' if s1 else 'o', s=12)
                budgets = sorted({r['budget_s'] for r in runs}, key=lambda b: b or 0)
                xs = [0.0] + [np.mean([r['train_seconds'] for r in runs if r['budget_s'] == b])
                              for b in budgets]
                ys = [np.mean([r['random_init'][modality][metric] for r in runs])] + [
                    np.mean([r['pretrained'][modality][metric] for r in runs
                             if r['budget_s'] == b]) for b in budgets]
                ax.plot(xs, ys, color=color, ls='-.' if s1 else '-', marker='x',
                        label=f'{name} ({modality})')
                base = np.mean([r['mean_spectrum'][modality][metric] for r in runs])
                ax.axhline(base, ls=':' if s1 else '--', color=color, lw=0.8)
        ax.set_title(f'held-out {title} (%)')
        ax.set_xlabel('pretraining seconds (CPU); 0 s = random init')
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _start_worker(threads: int) -> None:
    """Limit torch / BLAS / OpenMP to ``threads`` and register eossl's components (in the main
    process and in every ``--jobs`` worker)."""
    from threadpoolctl import threadpool_limits
    threadpool_limits(threads)
    torch.set_num_threads(threads)
    import eossl  # noqa: F401  (registers the components)
    init_default_scope('eossl')


def run_all(names: list[str], budgets: list[float | None], args) -> list[dict]:
    """Every (method, budget, seed) run, ``args.jobs`` at a time in separate processes (each
    with ``args.threads`` threads), in the order of the arguments."""
    tasks = [(name, args, seed, Path(args.scratch), budget)
             for name in names for budget in budgets for seed in range(args.seeds)]
    if args.jobs == 1:
        return [run_one(*task) for task in tasks]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context('spawn'),
                             initializer=_start_worker, initargs=(args.threads,)) as pool:
        return list(pool.map(run_one, *zip(*tasks)))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--methods', default='all')
    parser.add_argument('--budget-s', default='90',
                        help='seconds of pretraining per run; a comma list runs each budget')
    parser.add_argument('--epochs', type=int, default=None,
                        help='train this many epochs instead of calibrating to --budget-s')
    parser.add_argument('--seeds', type=int, default=3)
    parser.add_argument('--num-train', type=int, default=256)
    parser.add_argument('--num-test', type=int, default=128)
    parser.add_argument('--threads', type=int, default=1, help='torch / BLAS / OpenMP threads')
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs at the same time, one process each (jobs x threads <= cores)')
    parser.add_argument('--scratch', default='/tmp/eossl_learning_signal')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='recipe options (key=value) applied to every method run')
    parser.add_argument('--amp', action='store_true',
                        help='pretrain under bf16 autocast (eossl-train --amp on this CPU)')
    parser.add_argument('--out', required=True)
    args = parser.parse_args(argv)
    names = list(SHIPPED) if args.methods == 'all' else args.methods.split(',')
    unknown = set(names) - set(METHODS)
    if unknown:
        raise SystemExit(f'unknown methods {sorted(unknown)}; choose from {sorted(METHODS)}')
    budgets = ([None] if args.epochs is not None
               else [float(b) for b in str(args.budget_s).split(',')])
    _start_worker(args.threads)
    from common import environment
    results = dict(args=vars(args), environment=environment(torch.device('cpu')),
                   load_average_start=list(os.getloadavg()), methods={})
    runs = run_all(names, budgets, args)
    for name in names:
        mine = [r for r in runs if r['method'] == name]
        summary = {str(b): summarise([r for r in mine if r['budget_s'] == b]) for b in budgets}
        results['methods'][name] = dict(runs=mine, summary=summary)
        print(name, json.dumps(summary, indent=1))
    results['load_average_end'] = list(os.getloadavg())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=float) + '\n')
    plot(results, out.with_suffix('.png'))
    print(f'wrote {out} and {out.with_suffix(".png")}')


if __name__ == '__main__':
    main()
