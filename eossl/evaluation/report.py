"""The suite's Markdown table and figures, from ``results.json``.

Table: one row per (dataset, protocol, fraction) with every model's mean ± sd over seeds and
the mean 95 % bootstrap interval ``[low, high]`` (``—`` for recipe runs, which have none); a
``copernicus-l2`` model whose recipe was shrunk is labelled with its changes and "not
comparable", and so are the published rows set beside it. At fraction 1.0 the published rows
of the same protocol and dataset (:mod:`eossl.evaluation.published`) follow, with their
sources. Below it, per (protocol, fraction): the min-max-normalised IQM across datasets of
every model over all seeds, with its stratified-bootstrap 95 % interval over seeds, and the
normaliser ``(low, high)`` of each dataset. Unreachable datasets are listed with the reason.

Figures (``benchmark.png``): per-dataset bars with the interval as error bars (largest
fraction, first protocol) and, when the suite has several fractions, label-fraction curves.
"""
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from .aggregate import iqm_bootstrap_ci, mean_sd, normalised_iqm
from .published import published_for
from .recipe_suite import is_neutral


def summarise(results: dict) -> dict:
    """``{(dataset, protocol, fraction): {model: {mean, sd, ci_low, ci_high, metric, n}}}``."""
    groups: dict = defaultdict(lambda: defaultdict(list))
    for run in results['runs'].values():
        groups[(run['dataset'], run['protocol'], run['fraction'])][run['model']].append(run)
    out: dict[tuple, Any] = {}
    for key, models in groups.items():
        out[key] = {}
        for model, runs in models.items():
            mean, sd = mean_sd([r['value'] for r in runs])
            shrunk = sorted({f'{k}={v}' for r in runs if not r.get('comparable', True)
                             for k, v in r['changes'].items() if not is_neutral(k)})
            out[key][model] = dict(mean=mean, sd=sd, n=len(runs), metric=runs[0]['metric'],
                                   values=[r['value'] for r in runs],
                                   ci_low=_mean_of(runs, 'ci_low'),
                                   ci_high=_mean_of(runs, 'ci_high'),
                                   comparable=all(r.get('comparable', True) for r in runs),
                                   shrunk=shrunk)
    return out


def _mean_of(runs: list[dict], field: str) -> float:
    """Mean of ``field`` over ``runs`` (NaN when no run has it: recipe runs have no CI)."""
    values = [r[field] for r in runs if r.get(field) is not None]
    return float(np.mean(values)) if values else float('nan')


def iqm_table(summary: dict) -> dict:
    """``{(protocol, fraction): ({model: (IQM, CI low, CI high)}, {dataset: (low, high)})}``.

    The interval is the stratified bootstrap over seeds (:func:`iqm_bootstrap_ci`).
    """
    by_pf: dict = defaultdict(dict)
    for (dataset, protocol, fraction), models in summary.items():
        by_pf[(protocol, fraction)][dataset] = models
    out = {}
    for key, datasets in by_pf.items():
        normaliser = {d: (min(m['mean'] for m in models.values()),
                          max(m['mean'] for m in models.values()))
                      for d, models in datasets.items()}
        names = sorted({m for models in datasets.values() for m in models})
        iqms = {}
        for m in names:
            per_seed = {d: models[m]['values'] for d, models in datasets.items() if m in models}
            iqms[m] = (normalised_iqm(per_seed, normaliser),
                       *iqm_bootstrap_ci(per_seed, normaliser, draws=200))
        out[key] = (iqms, normaliser)
    return out


def markdown(results: dict, encoder_name: str) -> str:
    """The Markdown report (see the module docstring)."""
    summary = summarise(results)
    lines = [f'# eossl-benchmark: {encoder_name}', '',
             'mean ± sd over seeds, [mean 95 % bootstrap CI of the test predictions]; '
             'metrics in %.', '',
             '| dataset | protocol | fraction | model | metric | value | 95 % CI | runs |',
             '|---|---|---|---|---|---|---|---|']
    for (dataset, protocol, fraction) in sorted(summary):
        models = summary[(dataset, protocol, fraction)]
        order = [encoder_name] + sorted(m for m in models if m != encoder_name)
        for model in (m for m in order if m in models):
            s = models[model]
            ci = ('—' if np.isnan(s['ci_low']) else
                  f'[{s["ci_low"]:.1f}, {s["ci_high"]:.1f}]')
            label = model if s['comparable'] else \
                f'{model} (not the protocol: {", ".join(s["shrunk"])}; not comparable)'
            lines.append(f'| {dataset} | {protocol} | {fraction:g} | {label} | {s["metric"]} | '
                         f'{s["mean"]:.1f} ± {s["sd"]:.1f} | {ci} | {s["n"]} |')
        if fraction == 1:
            shrunk = not all(s['comparable'] for s in models.values())
            tag = 'published (full protocol; not comparable with the rows above)' \
                if shrunk else 'published'
            for row in published_for(protocol, dataset):
                sd = f' ± {row.sd:.1f}' if row.sd is not None else ''
                lines.append(f'| {dataset} | {protocol} | 1 | {tag}: {row.encoder} | '
                             f'{row.metric} | {row.value:.1f}{sd} | {row.source} | — |')
    lines += ['', '## Across datasets: min-max-normalised IQM', '']
    for (protocol, fraction), (iqms, normaliser) in sorted(iqm_table(summary).items()):
        norm = ', '.join(f'{d}: [{lo:.1f}, {hi:.1f}]' for d, (lo, hi) in sorted(
            normaliser.items()))
        scores = ', '.join(f'{m} {v:.2f} [{lo:.2f}, {hi:.2f}]' for m, (v, lo, hi) in
                           sorted(iqms.items(), key=lambda x: -x[1][0]))
        lines.append(f'- {protocol}, fraction {fraction:g}: {scores} (normaliser low/high per '
                     f'dataset: {norm})')
    if results.get('unreachable'):
        lines += ['', '## Skipped datasets (unreachable or no shared band)', '']
        lines += [f'- {d}: {why}' for d, why in sorted(results['unreachable'].items())]
    return '\n'.join(lines) + '\n'


def figure(results: dict, encoder_name: str, path: str | Path) -> Path | None:
    """Write the bars (+ label-fraction curves) to ``path``; None when there is nothing."""
    summary = summarise(results)
    if not summary:
        return None
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    protocol = sorted({k[1] for k in summary})[0]
    fractions = sorted({k[2] for k in summary})
    datasets = sorted({k[0] for k in summary if k[1] == protocol})
    models = sorted({m for k, v in summary.items() for m in v},
                    key=lambda m: (m != encoder_name, m))
    cols = 2 if len(fractions) > 1 else 1
    fig, axes = plt.subplots(1, cols, figsize=(6 * cols + 2, 4), squeeze=False)
    ax, width = axes[0, 0], 0.8 / len(models)
    for i, model in enumerate(models):
        vals = [summary.get((d, protocol, fractions[-1]), {}).get(model) for d in datasets]
        x = np.arange(len(datasets)) + i * width
        ys = [v['mean'] if v else np.nan for v in vals]
        err = np.array([[v['mean'] - v['ci_low'], v['ci_high'] - v['mean']] if v else [0, 0]
                        for v in vals]).T
        ax.bar(x, ys, width, yerr=err, capsize=2, label=model)
    ax.set_xticks(np.arange(len(datasets)) + 0.4 - width / 2, datasets, rotation=30,
                  ha='right')
    ax.set_title(f'{protocol}, fraction {fractions[-1]:g} (95 % CI)')
    ax.legend(fontsize=7)
    if cols == 2:
        ax = axes[0, 1]
        for dataset in datasets:
            ys = [summary.get((dataset, protocol, f), {}).get(encoder_name, {}).get('mean',
                                                                                   np.nan)
                  for f in fractions]
            ax.plot(fractions, ys, marker='o', label=dataset)
        ax.set_xscale('log')
        ax.set_xlabel('training-label fraction')
        ax.set_title(f'{encoder_name}: label-fraction curve ({protocol})')
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
