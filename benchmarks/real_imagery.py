"""Does short pretraining help on real Sentinel-2? Pretrain on real scenes, probe on EuroSAT-MS.

Usage::

    python benchmarks/real_imagery.py --methods softcon,pera,mpmae,dual_simclr,decur \
        --cpu-minutes 1,3 --seeds 3 [--first-seed 0] [--windows 256] [--jobs 2] \
        [--data /tmp/eossl_real_s2.npz] [--l2a-to-l1c] [--s1-scenes] [--skip-random-init] \
        [--no-bn-train] \
        [--cfg-options KEY=VALUE ...] --out F.json
    python benchmarks/real_imagery.py --methods softcon,pera --collect --out F.json
    python benchmarks/real_imagery.py --table F.json G.json --out -

Every finished run is also saved on its own under ``F.json.runs/`` (a sweep cut short keeps its
runs; one invocation per seed can share one ``--out``); ``--collect`` summarises them into
``F.json``, ``--table`` prints markdown rows. ``--l2a-to-l1c``: the L2A windows mapped onto the
L1C statistics the recipes normalise with (:func:`l2a_to_l1c`, issue 34's normalisation factor).
``--s1-scenes``: an S2-only method pretrains on the pool of the S1 + S2 methods (the scenes with
co-registered S1), to tell that pool's effect from the method's.

The real-imagery variant of ``learning_signal.py`` (same shrinking: the method's CPU size
``'probe'`` and its ``RUNTIME``). Per method, budget and seed: ``--windows`` random 66 px
windows (the SSL4EO-S12 layout needs a side divisible by 6; EuroSAT patches are 64 px) of the
real scenes of ``real_data.py`` (uniform over scene area, windows with over half nodata
redrawn; S1 / S2 methods: only scenes with co-registered S1, the same windows of both) are
written unlabelled in the layout the method's recipe reads — what is method-specific (recipe,
layout, how its S2 encoder sees EuroSAT) is one row of :data:`real_layouts.REAL_METHODS`. The
shrunk recipe trains for a budget of **process CPU
time** (robust to a shared machine's load): the number of epochs is calibrated from three
epochs timed in CPU time, the schedule scaled to it (``learning_signal.scale_schedule``), and a
hook stops after the epoch in which 1.25 × the budget was spent.

Frozen S2 features of the labelled EuroSAT-MS patches (normalised as the recipe normalises S2,
:mod:`real_layouts`) are probed by 5-fold
stratified cross-validation (fixed folds, the same for every encoder): L-BFGS logistic
regression on standardised features with ``C`` chosen by an inner 3-fold CV over
``eossl.evaluation.probes.C_GRID``, and kNN-5. Beside them: the same architecture at its random
initialisation, and the floors ``imagestats`` / ``rcf`` (``eossl.evaluation.floors``, on
EuroSAT z-scored with its own band statistics; ``rcf`` once per seed). Diagnostics per run
(the issue-34 factors): probe accuracy of the features with BatchNorm in train mode (batch
statistics) instead of eval mode, PerA's mean patch token instead of its CLS token, and the
feature spread (per-dimension std and effective rank of the EuroSAT features).
"""
import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

import learning_signal as ls
import real_data
from real_layouts import REAL_METHODS
from real_probe import effective_rank, floors, probe_cv

WINDOW = 66


def draw_windows(scenes: dict, num: int, seed: int, size: int = WINDOW,
                 harmonise: bool = False, s1: dict | None = None) -> dict[str, np.ndarray]:
    """``{'s2': (num, 13, size, size) uint16}`` windows, uniform over the scenes' area; with
    ``harmonise`` the L2A windows are mapped band by band onto the L1C statistics
    (:func:`l2a_to_l1c`). With ``s1`` (``{scene: (2, H, W) dB}``) only the scenes that have S1
    are drawn from, and ``'s1'``: ``(num, 2, size, size)`` float32 holds the same windows of
    their S1."""
    rng = np.random.default_rng(seed)
    items = [(n, lv, a) for n, (lv, a) in scenes.items()
             if min(a.shape[1:]) >= size and (s1 is None or n in s1)]
    if not items:
        raise ValueError(f'draw_windows: no scene of at least {size} px'
                         + ('' if s1 is None else ' with co-registered S1'))
    weight = np.array([(a.shape[1] - size + 1) * (a.shape[2] - size + 1) for *_, a in items])
    out: dict[str, list] = {'s2': []} if s1 is None else {'s2': [], 's1': []}
    while len(out['s2']) < num:
        name, level, a = items[rng.choice(len(items), p=weight / weight.sum())]
        y, x = rng.integers(0, a.shape[1] - size + 1), rng.integers(0, a.shape[2] - size + 1)
        window = a[:, y:y + size, x:x + size]
        if (window == 0).any(0).mean() <= 0.5:
            out['s2'].append(l2a_to_l1c(window) if harmonise and level == 'L2A' else window)
            if s1 is not None:
                out['s1'].append(s1[name][:, y:y + size, x:x + size])
    return {k: np.stack(v) for k, v in out.items()}


def l2a_to_l1c(window: np.ndarray) -> np.ndarray:
    """An L2A ``(13, H, W)`` window whose z-scores under the SSL4EO-S12 L1C statistics (the
    recipes' ``ssl4eo_s12:s2_l1c``) equal its z-scores under the SSL4EO-S12 L2A statistics:
    ``μ_L1C + σ_L1C · (x − μ_L2A) / σ_L2A`` per band (B10, absent in L2A, keeps its fill)."""
    from eossl.datasets.bands import band_stats
    bands = [b for b in real_data.L1C_BANDS if b != 'B10']
    (m1, s1), (m2, s2) = (band_stats('ssl4eo_s12', s, bands) for s in ('s2_l1c', 's2_l2a'))
    out, valid = window.astype(np.float32), (window > 0).all(0)
    for i, band in enumerate(bands):
        k = real_data.L1C_BANDS.index(band)
        out[k] = m1[i] + s1[i] * (out[k] - m2[i]) / s2[i]
    return np.where(valid, out.clip(1, 65535), 0).round().astype(np.uint16)


def build_cfg(name: str, written: dict, seed: int, work_dir: Path,
              options: dict | None) -> Config:
    """``learning_signal``'s shrunk recipe (or the real-imagery one, :mod:`real_layouts`) on
    the real windows (``written``: the writer's dataset options)."""
    from eossl.models.selfsup.cpu_sizes import apply_cpu_size
    method = REAL_METHODS[name]
    cfg = Config.fromfile(ls.REPO / (method.recipe or ls.METHODS[name].recipe))
    apply_cpu_size(cfg, 'probe')  # the method's own CPU size, as learning_signal shrinks it
    run_options = ls.METHODS[name].options if method.options is None else method.options
    cfg.merge_from_dict({**ls.RUNTIME, **run_options, **written, 'randomness.seed': seed,
                         **(options or {})})
    pipeline = cfg.train_dataloader.dataset.pipeline
    pipeline[0] = dict(type='CachedLoad', transform=pipeline[0])
    cfg.work_dir = str(work_dir)
    return cfg


@torch.no_grad()
def eurosat_features(model, cfg: Config, name: str, images: np.ndarray,
                     bn_train: bool = False) -> dict:
    """``{kind: (N, D)}`` features of EuroSAT DN ``(N, 13, 64, 64)`` as the method's S2 encoder
    sees them (:attr:`real_layouts.RealMethod.features`); ``bn_train``: BatchNorm uses each
    batch's statistics."""
    x = torch.from_numpy(images.astype(np.float32))
    x[x == 0] = float('nan')  # the loaders' nodata rule
    model.eval()
    momenta = {}
    if bn_train:
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                momenta[m] = m.momentum
                m.train()
                m.momentum = 0.0  # batch statistics without touching the running ones
    out: dict[str, list] = {}
    for start in range(0, len(x), 64):
        for kind, feats in REAL_METHODS[name].features(model, cfg, x[start:start + 64]).items():
            out.setdefault(kind, []).append(feats.float())
    for m, momentum in momenta.items():  # training goes on with the recipe's momentum
        m.momentum = momentum
    model.eval()
    return {k: torch.cat(v).numpy() for k, v in out.items()}


def probe_model(model, cfg: Config, name: str, data: dict, bn_train: bool = True) -> dict:
    """Probe accuracies of every feature kind, eval- and (``bn_train``) train-mode BatchNorm,
    and spread."""
    labels, out = data['eurosat_label'], {}
    has_bn = any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())
    for mode in (False, True) if has_bn and bn_train else (False,):
        for kind, feats in eurosat_features(model, cfg, name, data['eurosat'], mode).items():
            key = kind + ('_bn_train' if mode else '')
            out[key] = probe_cv(feats, labels)
            out[key].update(feat_std=float(feats.std(0).mean()),
                            eff_rank=effective_rank(feats))
    return out


def run_one(name: str, args, seed: int, budget_min: float) -> dict:
    """Pretrain ``name`` for ``budget_min`` CPU minutes on real windows; probe it and its
    random initialisation."""
    data = real_data.load(args.data)
    root = Path(args.scratch) / f'{name}_{seed}_{budget_min}_{os.getpid()}'
    method = REAL_METHODS[name]
    windows = draw_windows(data['scenes'], args.windows, seed, harmonise=args.l2a_to_l1c,
                           s1=data['s1'] if method.s1 or args.s1_scenes else None)
    if not method.s1:
        windows.pop('s1', None)  # --s1-scenes: only where the windows come from
    written = method.write(root / 'data', windows, seed)
    options, budget_s = args.cfg_options, 60.0 * budget_min
    epochs, epoch_cpu = ls.calibrate(build_cfg(name, written, seed, root / 'calib', options),
                                     budget_s, clock=time.process_time)
    cfg = build_cfg(name, written, seed, root / 'work', options)
    schedule = ls.scale_schedule(cfg, epochs)
    runner = Runner.from_cfg(cfg)
    runner.model.init_weights()
    random_init = ({} if args.skip_random_init else
                   probe_model(runner.model, cfg, name, data, not args.no_bn_train))
    hook = ls.EpochClock(1.25 * budget_s, clock=time.process_time)
    runner.register_hook(hook)
    wall = time.perf_counter()
    runner.train()
    cpu_s, wall = hook.total, time.perf_counter() - wall
    pretrained = probe_model(runner.model, cfg, name, data, not args.no_bn_train)
    losses, history = ls._loss_trace(runner), ls._monitor(runner).history
    run = dict(method=name, seed=seed, budget_cpu_min=budget_min, train_cpu_s=cpu_s,
                train_wall_s=wall, iterations=hook.iters, schedule=schedule,
                calibration_epoch_cpu_s=epoch_cpu, pretrained=pretrained, random_init=random_init,
                loss_first10=float(np.mean(losses[:10])), loss_last10=float(np.mean(losses[-10:])),
                monitors_first=history[0] if history else {},
                monitors_last=history[-1] if history else {},
                load_average_end=list(os.getloadavg()))
    runs = Path(f'{args.out}.runs')  # each run as soon as it ends: a cut-short sweep keeps it
    runs.mkdir(parents=True, exist_ok=True)
    (runs / f'{name}_{budget_min}_{seed}.json').write_text(json.dumps(run, default=float))
    return run


def _stats(values) -> dict:
    v = np.asarray(values, float)
    return dict(mean=float(v.mean()), std=float(v.std(ddof=1)) if len(v) > 1 else 0.0)


def summarise(runs: list[dict]) -> dict:
    """Mean ± sd over seeds of every probe entry, and the paired gain over random init."""
    out, paired = {}, [r for r in runs if r['random_init']]

    def kinds(mine: list[dict], part: str) -> list[str]:  # feature kinds every run has
        return [k for k in mine[0][part] if all(k in r[part] for r in mine)] if mine else []
    for part, mine in (('pretrained', runs), ('random_init', paired)):
        out[part] = {k: {m: _stats([r[part][k][m] for r in mine]) for m in
                         ('linear_acc', 'knn_acc', 'feat_std', 'eff_rank')}
                     for k in kinds(mine, part)}
    out['gain_linear'] = {k: _stats([r['pretrained'][k]['linear_acc'] -
                                     r['random_init'][k]['linear_acc'] for r in paired])
                          for k in kinds(paired, 'pretrained')}
    out['seeds'] = [r['seed'] for r in runs]
    return out


def markdown(results: dict, label: str = '') -> str:
    """Table rows (mean ± sd over seeds, %): per method, budget and feature kind the linear and
    kNN-5 accuracy pretrained / random init, the paired linear gain, feature std and rank."""
    def f(entry: dict) -> str:
        return f"{entry['mean']:.1f} ± {entry['std']:.1f}"
    rows = []
    for name, entry in results['methods'].items():
        for budget, summary in entry['summary'].items():
            for kind, pre in summary['pretrained'].items():
                ran = summary['random_init'].get(kind)
                gain = summary['gain_linear'].get(kind)
                rows.append(
                    f"| {name}{label} | {budget} | {summary['seeds']} | {kind} | "
                    f"{f(pre['linear_acc'])} | {f(ran['linear_acc']) if ran else '—'} | "
                    f"{f(gain) if gain else '—'} | {f(pre['knn_acc'])} / "
                    f"{f(ran['knn_acc']) if ran else '—'} | {pre['eff_rank']['mean']:.1f} / "
                    f"{ran['eff_rank']['mean'] if ran else float('nan'):.1f} |")
    return '\n'.join(rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--methods', default='softcon,pera')
    parser.add_argument('--cpu-minutes', default='1', help='comma list of CPU-minute budgets')
    parser.add_argument('--seeds', type=int, default=3)
    parser.add_argument('--first-seed', type=int, default=0)
    parser.add_argument('--windows', type=int, default=256)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--data', type=Path, default=real_data.DEFAULT_CACHE)
    parser.add_argument('--scratch', default='/tmp/eossl_real_imagery')
    parser.add_argument('--l2a-to-l1c', action='store_true',
                        help='map L2A windows onto the L1C statistics (l2a_to_l1c)')
    parser.add_argument('--s1-scenes', action='store_true',
                        help='draw the windows of every method from the scenes with '
                        'co-registered S1 only (the S1 + S2 methods\' pool)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    parser.add_argument('--out', required=True)
    parser.add_argument('--skip-random-init', action='store_true',
                        help='probe the pretrained encoder only (a variant of a recorded run)')
    parser.add_argument('--no-bn-train', action='store_true',
                        help='skip the train-mode BatchNorm probe')
    parser.add_argument('--collect', action='store_true',
                        help="summarise the runs saved under OUT.runs/ into OUT and exit")
    parser.add_argument('--table', nargs='+', type=Path,
                        help='print the markdown rows of these result files and exit')
    args = parser.parse_args(argv)
    if args.table:
        for path in args.table:
            print(markdown(json.loads(path.read_text()), f' ({path.stem})'))
        return
    names = args.methods.split(',')
    unknown = set(names) - set(REAL_METHODS)
    if unknown:
        raise SystemExit(f'unknown methods {sorted(unknown)}; choose from {sorted(REAL_METHODS)}')
    data = real_data.load(args.data)  # refuses with the build command when missing
    ls._start_worker(args.threads)
    from common import environment
    results = dict(args={k: str(v) for k, v in vars(args).items()},
                   environment=environment(torch.device('cpu')),
                   load_average_start=list(os.getloadavg()), methods={})
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    budgets = [float(b) for b in args.cpu_minutes.split(',')]
    cache = args.data.with_name(f'{args.data.stem}_floors_{seeds.start}-{seeds.stop}.json')
    if not cache.exists():  # the floors depend on the data and the seeds only
        cache.write_text(json.dumps(floors(data, seeds)))
    results['floors'] = json.loads(cache.read_text())
    tasks = [(n, args, s, b) for n in names for b in budgets for s in seeds]
    if args.collect:
        runs = [json.loads(p.read_text()) for p in sorted(Path(f'{args.out}.runs').glob('*.json'))]
        names = [n for n in names if any(r['method'] == n for r in runs)]
        budgets = sorted({r['budget_cpu_min'] for r in runs})
    elif args.jobs == 1:
        runs = [run_one(*t) for t in tasks]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context('spawn'),
                                 initializer=ls._start_worker, initargs=(args.threads,)) as pool:
            runs = list(pool.map(run_one, *zip(*tasks)))
    for name in names:
        mine = [r for r in runs if r['method'] == name]
        results['methods'][name] = dict(runs=mine, summary={
            str(b): summarise([r for r in mine if r['budget_cpu_min'] == b]) for b in budgets
            if any(r['budget_cpu_min'] == b for r in mine)})
    results['load_average_end'] = list(os.getloadavg())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=float) + '\n')
    print(json.dumps({'floors': results['floors']['summary'],
                      **{n: m['summary'] for n, m in results['methods'].items()}}, indent=1))
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
