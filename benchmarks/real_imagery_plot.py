"""Figure of the real-imagery benchmark: probe accuracy vs pretraining CPU minutes per method.

    python benchmarks/real_imagery_plot.py 'shipped=results/a.json,results/b.json' \
        'L2A→L1C stats=results/c.json' --out results/real_imagery_cpu.png [--kind scene]

Reads result files of ``real_imagery.py`` (each holds its runs and the floors). Each argument is
``[LABEL=]FILE[,FILE...]``: the runs of those files form one series per method, named by the
method and the label (the variant the files were run with). Drawn per series: the linear-probe
accuracy on EuroSAT-MS (mean ± sd over seeds, one point per CPU-minute budget) starting from the
same network's random initialisation at 0 minutes, with the no-learning floors ``imagestats``
and ``rcf`` as horizontal lines — where pretraining crosses its random init, and how far it is
from the floors, is easier seen than read from the table.
"""
import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np


def pooled_runs(specs: list[str]) -> tuple[dict[str, list[dict]], dict[str, dict], dict]:
    """``({series: [run, ...]}, {method: {seed: random-init probe}}, floors)`` of the specs.

    A run repeated within a series (same budget and seed) is kept once. The random
    initialisation depends only on method and seed (the pretraining data does not enter it),
    so it is pooled over every file; floors come from the first file that has them.
    """
    runs: dict[str, dict[tuple, dict]] = defaultdict(dict)
    init: dict[str, dict[int, dict]] = defaultdict(dict)
    floors: dict = {}
    for spec in specs:
        label, _, files = spec.rpartition('=')
        for path in files.split(','):
            results = json.loads(Path(path).read_text())
            floors = floors or results.get('floors', {})
            for name, entry in results['methods'].items():
                for run in entry['runs']:
                    series = f'{name}, {label}' if label else name
                    runs[series][(run['budget_cpu_min'], run['seed'])] = run
                    if run.get('random_init'):
                        init[name][run['seed']] = run['random_init']
    return {name: list(mine.values()) for name, mine in runs.items()}, init, floors


def curve(runs: list[dict], init: dict[int, dict], kind: str) -> tuple[list, list, list]:
    """``(minutes, mean, sd)`` of the linear accuracy of feature ``kind``: 0 min is the random
    initialisation of the runs' seeds (where probed), then one entry per budget."""
    by_budget: dict[float, list[float]] = defaultdict(list)
    for run in runs:
        by_budget[float(run['budget_cpu_min'])].append(run['pretrained'][kind]['linear_acc'])
    zero = [init[seed][kind]['linear_acc'] for seed in sorted({run['seed'] for run in runs})
            if kind in init.get(seed, {})]
    series = ([(0.0, zero)] if zero else []) + sorted(by_budget.items())
    return ([m for m, _ in series], [float(np.mean(v)) for _, v in series],
            [float(np.std(v, ddof=1)) if len(v) > 1 else 0.0 for _, v in series])


def plot(specs: list[str], out: Path, kind: str = 'scene') -> None:
    """Write the figure of ``[LABEL=]FILE[,FILE...]`` specs to ``out`` (PNG)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    runs, init, floors = pooled_runs(specs)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, (series, mine) in enumerate(sorted(runs.items())):
        mine = [run for run in mine if kind in run['pretrained']]
        if mine:
            minutes, mean, sd = curve(mine, init[mine[0]['method']], kind)
            ax.errorbar(minutes, mean, yerr=sd, color=f'C{i}', marker='o', capsize=3,
                        label=series)
    if 'imagestats' in floors:
        ax.axhline(floors['imagestats']['linear_acc'], color='k', ls='--', lw=0.9,
                   label='imagestats floor (no learning)')
    rcf = [v['linear_acc'] for k, v in floors.get('rcf', {}).items() if k.isdigit()]
    if rcf:
        ax.axhline(float(np.mean(rcf)), color='gray', ls=':', lw=0.9,
                   label='rcf floor (no learning)')
    ax.set_xscale('symlog', linthresh=1.0)
    budgets = sorted({0.0, *(float(r['budget_cpu_min']) for m in runs.values() for r in m)})
    ax.set_xticks(budgets, [f'{b:g}' for b in budgets])
    ax.set_xlabel('pretraining, process CPU minutes (0 = random init of the same network)')
    ax.set_ylabel(f'EuroSAT-MS linear probe accuracy (%), {kind} feature')
    ax.set_title('Pretraining on real Sentinel-2 (mean ± sd over seeds)')
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('results', nargs='+',
                        help='[LABEL=]FILE[,FILE...]: a series per method, LABEL the variant')
    parser.add_argument('--out', type=Path, required=True)
    parser.add_argument('--kind', default='scene', help="feature kind ('scene', 'patch_mean')")
    args = parser.parse_args(argv)
    plot(args.results, args.out, args.kind)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
