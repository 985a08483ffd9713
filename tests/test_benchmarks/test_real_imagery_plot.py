"""benchmarks/real_imagery_plot.py: series per method and variant label, the random init pooled
by method and seed at 0 minutes, mean ± sd per budget, and a written figure."""
import json

import pytest

from .test_common import _module

plot = _module('real_imagery_plot')


def _run(method: str, seed: int, minutes: float, acc: float, init: float | None) -> dict:
    return dict(method=method, seed=seed, budget_cpu_min=minutes,
                pretrained={'scene': {'linear_acc': acc}},
                random_init={'scene': {'linear_acc': init}} if init is not None else {})


def _results(path, runs: list[dict]) -> str:
    floors = {'imagestats': {'linear_acc': 76.0}, 'rcf': {'0': {'linear_acc': 66.0},
                                                         '1': {'linear_acc': 68.0}}}
    methods: dict = {}
    for run in runs:
        methods.setdefault(run['method'], {'runs': []})['runs'].append(run)
    path.write_text(json.dumps({'methods': methods, 'floors': floors}))
    return str(path)


def test_series_pool_the_random_init_and_average_per_budget(tmp_path):
    shipped = _results(tmp_path / 'a.json', [_run('softcon', s, 1, 40 + s, 50 + 2 * s)
                                             for s in range(3)])
    fixed = _results(tmp_path / 'b.json', [_run('softcon', s, m, 60 + m + s, None)
                                           for s in range(3) for m in (1, 10)])
    runs, init, floors = plot.pooled_runs([shipped, f'fixed={fixed}'])
    assert sorted(runs) == ['softcon', 'softcon, fixed'] and len(runs['softcon, fixed']) == 6
    minutes, mean, sd = plot.curve(runs['softcon, fixed'], init['softcon'], 'scene')
    # 0 min: the random init probed by the other file's runs (same method, same seeds)
    assert minutes == [0.0, 1.0, 10.0]
    assert mean == pytest.approx([52.0, 62.0, 71.0]) and sd == pytest.approx([2.0, 1.0, 1.0])
    plot.plot([shipped, f'fixed={fixed}'], tmp_path / 'f.png')
    assert (tmp_path / 'f.png').stat().st_size > 10_000
