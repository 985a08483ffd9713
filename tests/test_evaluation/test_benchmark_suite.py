"""The benchmark suite end to end on fixtures: resumption, skipped datasets, readers, report."""
import json

import pytest
import torch

import eossl
from eossl.evaluation import suite as suite_module
from eossl.evaluation.encoder import build_encoder
from eossl.evaluation.report import markdown
from eossl.testing.copernicus_bench import make_fake_copernicus_dfc2020
from eossl.testing.geobench import make_fake_geobench_task

ENCODER = 'configs/benchmarks/encoders/vit_tiny_demo_s2.py'


@pytest.fixture(scope='module')
def encoders():
    eossl.register_all_modules(init_default_scope=True)
    return build_encoder(ENCODER, seed=1), build_encoder(ENCODER, seed=0)


def _suite(root, extra=()):
    task = make_fake_geobench_task(root / 'm-eurosat', num_classes=4, per_split=12, size=8)
    datasets = [dict(name='m-eurosat', task='classification',
                     dataset=dict(type='eossl.GeoBenchDataset', data_root=str(task),
                                  pipeline=[dict(type='eossl.LoadGeoBenchSample')]))]
    return dict(datasets=datasets + list(extra), protocols=['frozen-probe-knn'],
                fractions=[0.5, 1.0], seeds=[0, 1], floors=['imagestats'],
                bootstrap_draws=20)


def test_resume_repeats_no_finished_run_and_skips_unreachable(tmp_path, encoders, monkeypatch):
    missing = dict(name='eurosat-s2', task='classification',
                   dataset=dict(type='eossl.CopernicusBenchEuroSAT',
                                data_root=str(tmp_path / 'absent'), modality='s2',
                                pipeline=[dict(type='eossl.LoadMultiBandImage')]))
    suite = _suite(tmp_path, [missing])
    logs = []
    results = suite_module.run_suite(suite, *encoders, tmp_path / 'w', log=logs.append)
    assert len(results['runs']) == 2 * 2 * 2  # models x fractions x seeds
    assert 'eurosat-s2' in results['unreachable'] and 'absent' in results['unreachable'][
        'eurosat-s2']
    assert any('SKIPPED dataset eurosat-s2' in line for line in logs)
    stored = json.loads((tmp_path / 'w' / 'results.json').read_text())
    assert stored['runs'] == json.loads(json.dumps(results['runs']))

    calls = []
    real = suite_module.run_probe
    monkeypatch.setattr(suite_module, 'run_probe',
                        lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    suite_module.run_suite(suite, *encoders, tmp_path / 'w', log=logs.append)
    assert calls == []  # every finished run is kept
    key = next(iter(stored['runs']))
    del stored['runs'][key]  # as if killed before this run finished
    (tmp_path / 'w' / 'results.json').write_text(json.dumps(stored))
    again = suite_module.run_suite(suite, *encoders, tmp_path / 'w', log=logs.append)
    assert calls == ['knn'] and key in again['runs']
    table = markdown(again, encoders[0].name)
    assert 'published: SSL4EO-S12 RN50 MoCo' in table and 'imagestats' in table
    assert 'min-max-normalised IQM' in table and 'eurosat-s2' in table


def test_no_shared_band_is_reported(tmp_path, encoders):
    root = make_fake_copernicus_dfc2020(tmp_path / 'dfc', per_split=2, size=8)
    entry = dict(name='dfc2020-s1', task='segmentation',
                 dataset=dict(type='eossl.CopernicusBenchDFC2020', data_root=str(root),
                              modality='s1', pipeline=[
                                  dict(type='eossl.LoadMultiBandImage', modality='s1'),
                                  dict(type='eossl.LoadLandCoverMap', modality='dfc')]))
    suite = dict(_suite(tmp_path), datasets=[entry])
    results = suite_module.run_suite(suite, *encoders, tmp_path / 'w', log=lambda s: None)
    assert results['runs'] == {}
    assert "['VV', 'VH']" in results['unreachable']['dfc2020-s1']


def test_segmentation_suite_runs(tmp_path, encoders):
    root = make_fake_copernicus_dfc2020(tmp_path / 'dfc', per_split=3, size=16)
    entry = dict(name='dfc2020-s2', task='segmentation',
                 dataset=dict(type='eossl.CopernicusBenchDFC2020', data_root=str(root),
                              modality='s2', pipeline=[
                                  dict(type='eossl.LoadMultiBandImage', modality='s2'),
                                  dict(type='eossl.LoadLandCoverMap', modality='dfc')]))
    suite = dict(_suite(tmp_path), datasets=[entry], fractions=[1.0], seeds=[0],
                 floors=['rcf'])
    results = suite_module.run_suite(suite, *encoders, tmp_path / 'w', log=lambda s: None)
    records = list(results['runs'].values())
    assert {r['model'] for r in records} == {encoders[0].name, 'rcf'}
    assert all(r['metric'] == 'mIoU' and 0 <= r['value'] <= 100 for r in records)


def test_random_init_is_seeded(encoders):
    a = build_encoder(ENCODER, seed=0).backbone.state_dict()
    b = encoders[1].backbone.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
