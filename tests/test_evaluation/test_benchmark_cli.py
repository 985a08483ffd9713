"""eossl-benchmark from the command line: table, figure, references, a skipped dataset."""
import json

from eossl.cli.benchmark import main
from eossl.testing.geobench import make_fake_geobench_task


def test_cli_writes_table_figure_and_reports_a_missing_dataset(tmp_path, capsys):
    make_fake_geobench_task(tmp_path / 'data' / 'm-eurosat', num_classes=4, per_split=10,
                            size=8)  # m-bigearthnet is absent on purpose
    work = tmp_path / 'work'
    main(['--encoder', 'configs/benchmarks/encoders/vit_tiny_demo_s2.py',
          '--suite', 'configs/benchmarks/suites/geobench_frozen.py',
          '--data-root', str(tmp_path / 'data'), '--work-dir', str(work),
          '--cfg-options', 'seeds=[0]', 'fractions=[1.0]', 'floors=[imagestats]',
          'protocols=[frozen-probe-knn]', 'bootstrap_draws=20'])
    out = capsys.readouterr().out
    assert 'SKIPPED dataset m-bigearthnet' in out
    results = json.loads((work / 'results.json').read_text())
    assert {r['model'] for r in results['runs'].values()} == {
        'ViT-tiny demo (S2 L1C) (random init)', 'imagestats'}
    table = (work / 'results.md').read_text()
    assert 'published: SSL4EO-S12 RN50 MoCo' in table and '95 % CI' in table
    assert 'm-bigearthnet' in table.split('## Skipped')[1]
    assert (work / 'benchmark.png').stat().st_size > 1000
