"""The side-by-side runner's own logic (benchmarks/official_vs_eossl.py): arguments, ABBA order,
pooling of the rounds and the parameter check. No official code and no timing is run."""
import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / 'benchmarks'


@pytest.fixture(scope='module')
def runner():
    sys.path.insert(0, str(BENCHMARKS))  # the script imports its sibling `sizes`
    try:
        spec = importlib.util.spec_from_file_location('official_vs_eossl',
                                                      BENCHMARKS / 'official_vs_eossl.py')
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_arguments(runner, monkeypatch):
    monkeypatch.delenv('EOSSL_OFFICIAL_MIRRORS', raising=False)
    args = runner.parse_args(['--mirrors', '/m', '--cases', 'dual_simclr,mpmae',
                              '--simclr-batch', '4'])
    assert args.cases == ['dual_simclr', 'mpmae'] and args.eossl_only == ['pera_13band']
    assert args.simclr_batch == 4 and args.mm_px == 112 and args.abba
    assert runner.parse_args(['--cases', '']).cases == []  # eossl only: no mirrors needed
    monkeypatch.setenv('EOSSL_OFFICIAL_MIRRORS', '/from/env')
    assert runner.parse_args([]).mirrors == '/from/env'
    monkeypatch.delenv('EOSSL_OFFICIAL_MIRRORS')
    for bad in (['--cases', 'pera'], ['--mirrors', '/m', '--cases', 'simclr'],
                ['--mirrors', '/m', '--eossl-only', 'pera'], ['--mirrors', '/m', '--warmup', '0']):
        with pytest.raises(SystemExit):
            runner.parse_args(bad)


def test_schedule_runs_pairs_back_to_back_in_abba_order(runner):
    order = runner.schedule(['a', 'b'], ['c'], rounds=2, abba=True)
    assert order == [(0, 'a', 'official'), (0, 'a', 'eossl'), (0, 'b', 'official'),
                     (0, 'b', 'eossl'), (0, 'c', 'eossl'),
                     (1, 'a', 'eossl'), (1, 'a', 'official'), (1, 'b', 'eossl'),
                     (1, 'b', 'official'), (1, 'c', 'eossl')]
    assert all(side == 'official' for _, case, side in
               runner.schedule(['a'], [], rounds=3, abba=False)[::2])


def _run(case, side, rnd, steps, trained=10, status='ok'):
    return {'case': case, 'side': side, 'round': rnd, 'status': status, 'step_s': steps,
            'cpu_s': [2 * t for t in steps], 'load1': [1.0, 2.0], 'peak_rss_mib': 100.0 + rnd,
            'params': {'total': 12, 'trainable': 11, 'updated': trained}}


def test_aggregate_pools_rounds_and_flags_parameter_mismatch(runner):
    runs = [_run('x', 'official', 0, [4., 6., 5.]), _run('x', 'eossl', 0, [2., 2., 3.]),
            _run('x', 'eossl', 1, [1., 2., 2.]), _run('x', 'official', 1, [4., 4., 3.]),
            _run('y', 'official', 0, [1.], trained=9), _run('y', 'eossl', 0, [1.]),
            _run('z', 'eossl', 0, [3.]), dict(_run('z', 'eossl', 1, []), status='failed',
                                               error='boom')]
    x, y, z = runner.aggregate(runs)
    assert x['official']['median_step_s'] == 4. and x['eossl']['median_step_s'] == 2.
    assert x['ratio_official_over_eossl'] == 2. and x['ratio_of_min_step'] == 3.
    assert x['round_ratios'] == [5. / 2., 4. / 2.] and x['ratio_of_cpu_time'] == 2.
    assert x['params_match'] and not y['params_match']
    assert x['official']['peak_rss_mib'] == 101. and x['eossl']['load1'] == [1., 2.] * 2
    assert 'official' not in z and z['eossl']['n_steps'] == 1 and z['eossl_errors'] == ['boom']
    text = runner.table([x, y, z])
    assert '| x | 4.00 | 2.00 | **2.00** | 2.50, 2.00 | 3.00, 2.00 | 10 / 10 |' in text
    assert '9 / 10 **(differ)**' in text and '| z | – | 3.00 | – |' in text
