"""copernicus-l2 through eossl-benchmark: a task trained by its recipe with mmengine's Runner,
stored at once (a killed suite resumes without repeating a run), published rows beside it."""
import json

import pytest
import torch

from eossl.cli.benchmark import run_one
from eossl.evaluation import recipe_suite
from eossl.evaluation.recipe_suite import _rescaled_indices
from eossl.testing.copernicus_bench import make_fake_copernicus_eurosat

ENCODER = 'configs/benchmarks/encoders/vit_tiny_demo_s2.py'
TASKS = [dict(name='eurosat-s2', recipe='copernicus_l2/softcon-vitb14_linear_eurosat-s2.py',
              data_root='eurosat_s2', metric='accuracy/top1'),
         dict(name='eurosat-s1', recipe='copernicus_l2/softcon-vitb14_linear_eurosat-s1.py',
              data_root='eurosat_s1', metric='accuracy/top1')]


def _run(tmp_path, weights):
    return run_one(ENCODER, 'configs/benchmarks/suites/copernicus_l2.py', str(weights),
                   'backbone', tmp_path / 'work', str(tmp_path / 'data'), None,
                   dict(tasks=TASKS, seeds=[0], fractions=[0.5, 1.0], floors=[],
                        schedule=dict(batch_size=10, num_workers=0)), max_epochs=1)


def test_copernicus_l2_task_runs_stores_each_run_and_resumes(tmp_path, monkeypatch):
    make_fake_copernicus_eurosat(tmp_path / 'data' / 'eurosat_s2', 's2', per_class=2, size=16)
    weights = tmp_path / 'backbone.pth'
    from eossl.evaluation.encoder import build_encoder
    encoder = build_encoder(ENCODER, seed=3)
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in
                               encoder.backbone.state_dict().items()}}, weights)
    real, calls = recipe_suite._train_and_test, []

    def killed_after_one(cfg):
        calls.append(cfg.train_dataloader.dataset.get('indices'))
        if len(calls) == 2:
            raise KeyboardInterrupt  # the suite is killed during its second run
        return real(cfg)

    monkeypatch.setattr(recipe_suite, '_train_and_test', killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, weights)
    path = tmp_path / 'work' / 'results.json'
    first = json.loads(path.read_text())['runs']
    assert len(first) == 1  # the finished run was stored at once
    (key, run), = first.items()
    assert key == 'ViT-tiny demo (S2 L1C)|eurosat-s2|copernicus-l2|0.5|0'
    assert run['n_train'] == len(calls[0]) == 10  # half of 20, stratified: one per class
    # the runner trained the encoder's own weights (written for it) under the recipe
    saved = torch.load(run['changes']['checkpoint'])['state_dict']
    assert torch.equal(saved['backbone.patch_embed.proj.weight'],
                       encoder.backbone.state_dict()['patch_embed.proj.weight'])

    calls.clear()
    monkeypatch.setattr(recipe_suite, '_train_and_test',
                        lambda cfg: calls.append(cfg) or real(cfg))
    results = _run(tmp_path, weights)
    assert len(calls) == 1 and calls[0].train_dataloader.dataset.get('indices') is None
    assert results['runs'][key] == run  # the finished run was not repeated
    full = results['runs']['ViT-tiny demo (S2 L1C)|eurosat-s2|copernicus-l2|1|0']
    assert full['n_train'] == 20 and full['metric'] == 'accuracy/top1'
    assert 0 <= full['value'] <= 100
    assert full['changes']['max_epochs'] == 1 and full['changes']['img_size'] == 32
    assert full['comparable'] is False and full['recipe'].endswith('linear_eurosat-s2.py')
    # an S1 task shares no band with the S2 encoder: reported, naming both band lists
    assert "['VV', 'VH']" in results['unreachable']['eurosat-s1']
    assert "'B8A'" in results['unreachable']['eurosat-s1']

    table = (tmp_path / 'work' / 'results.md').read_text()
    rows = [line for line in table.splitlines() if line.startswith('| eurosat-s2 |')]
    ours = [r for r in rows if '| 1 | ViT-tiny demo' in r]
    assert len(ours) == 1 and 'max_epochs=1' in ours[0] and 'not comparable' in ours[0]
    published = [r for r in rows if 'SoftCon ViT-B/14' in r]
    assert len(published) == 1 and '96.7' in published[0]
    assert 'not comparable' in published[0]
    assert 'Copernicus-Bench/results/README.md' in published[0]
    assert f'{full["value"]:.1f} ± 0.0' in ours[0]


def test_segmentation_taps_map_onto_any_depth():
    assert _rescaled_indices([4, 6, 10, 11], 4) == (0, 1, 2, 3)
    assert _rescaled_indices([4, 6, 10, 11], 24) == (8, 12, 20, 22)
    with pytest.raises(ValueError, match='taps 4 blocks'):
        _rescaled_indices([4, 6, 10, 11], 2)
