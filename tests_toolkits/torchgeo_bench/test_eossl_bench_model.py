"""torchgeo-bench evaluates an eossl checkpoint (its own venv: .ci/run, step torchgeo-bench).

A generated EuroSAT in torchgeo's layout (13 bands, 10 classes, 3 splits) is evaluated by the
unchanged ``torchgeo-bench run`` (kNN + logistic regression) with the shipped ``model=eossl``
config pointing at a tiny eossl ViT checkpoint.
"""
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tiny_checkpoints import write_tiny_vit_checkpoint, write_tiny_vit_recipe
from torchgeo_bench.datasets import EuroSAT

from eossl.integrations.torchgeo_bench import EOSSLBenchModel
from eossl.testing.eurosat import make_fake_eurosat

TIF_DIR = Path('ds/images/remote_sensing/otherDatasets/sentinel_2/tif')


@pytest.fixture(scope='module')
def tiny_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp('eossl')
    recipe = write_tiny_vit_recipe(folder)
    return recipe, write_tiny_vit_checkpoint(recipe, folder / 'epoch_1.pth')


def test_bands_are_routed_by_name_and_missing_ones_are_zero(tiny_checkpoint, caplog):
    recipe, ckpt = tiny_checkpoint
    specs = EuroSAT().select_band_specs(('red', 'green', 'blue', 'nir'))
    model = EOSSLBenchModel(specs, config=str(recipe), checkpoint=str(ckpt))
    assert model.index[:4] == [-1, 2, 1, 0] and model.index[7] == 3  # B1 absent, B2 = blue ...
    assert 'the dataset has no' in caplog.text and "'B1'" in caplog.text
    features = model(torch.rand(2, 4, 28, 28) * 3000)
    assert features.shape == (2, 32) and torch.isfinite(features).all()
    # the CLS token of the eossl backbone on the routed, zero-filled input
    full = EOSSLBenchModel(EuroSAT().bands, config=str(recipe), checkpoint=str(ckpt))
    assert full.index == [0, 1, 2, 3, 4, 5, 6, 7, 12, 8, 9, 10, 11]  # B8A is EuroSAT's last


def test_torchgeo_bench_run_evaluates_an_eossl_checkpoint(tiny_checkpoint, tmp_path):
    recipe, ckpt = tiny_checkpoint
    root = tmp_path / 'data' / 'eurosat'
    files = make_fake_eurosat(root / TIF_DIR, samples_per_class=3, size=28)
    for split, n in (('train', 1), ('val', 2), ('test', 3)):
        names = [f.name for f in files if f.stem.endswith(f'_{n}')]
        (root / f'eurosat-{split}.txt').write_text('\n'.join(names) + '\n')
    out = tmp_path / 'results.csv'
    cmd = [str(Path(sys.executable).parent / 'torchgeo-bench'), 'run',  # the installed command
           'hydra.searchpath=[pkg://eossl.integrations.torchgeo_bench_conf]', 'model=eossl',
           f'model.config={recipe}', f'model.checkpoint={ckpt}', 'device=cpu',
           'dataset.names=[eurosat]', 'dataset.bands=all', 'dataset.image_size=28',
           'dataset.num_workers=0', 'dataset.batch_size=8', 'eval.bootstrap=5',
           'eval.c_range=[-2,2,3]', 'eval.knn_k=3', 'eval.calibration.temp_scale=false',
           f'output={out}']
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = list(csv.DictReader(out.open()))
    methods = {row['method'] for row in rows if row['dataset'] == 'eurosat'}
    assert {'knn3', 'linear'} <= methods, rows
    for row in rows:
        assert row['name'] == 'eossl' and 0.0 <= float(row['metric_value']) <= 1.0
        assert int(row['feature_dim']) == 32 and int(row['n_test']) == 10
