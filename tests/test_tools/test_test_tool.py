"""``eossl-test`` on the demo downstream recipe and on a segmentation recipe: metrics JSON,
predictions pickle, per-sample figures, runner selection, and the errors it names."""
import hashlib
import json
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from eossl.cli import test as test_tool
from eossl.cli import train as train_tool

DEMO_PROBE = 'configs/benchmarks/classification/dual_simclr_rn18_linear_bigearthnet-example.py'
PRETRAIN = 'configs/dual_simclr/dual_simclr_rn18_s1s2_demo_bigearthnet.py'


@pytest.fixture(scope='module')
def probe_checkpoint(tmp_path_factory, bigearthnet_example):
    """One pretraining epoch of the demo, its backbones, one linear-probe epoch."""
    from eossl.cli import extract_backbone
    root = tmp_path_factory.mktemp('test_tool')
    data = f'train_dataloader.dataset.data_root={bigearthnet_example}'
    train_tool.main([PRETRAIN, '--work-dir', str(root / 'pretrain'), '--cfg-options', data,
                     'train_cfg.max_epochs=1', 'default_hooks.checkpoint.interval=1'])
    backbone = root / 'fresh' / 'checkpoints' / 'backbone.pth'  # parent folders do not exist
    extract_backbone.main([str(root / 'pretrain' / 'epoch_1.pth'), str(backbone)])
    options = [f'{split}_dataloader.dataset.data_root={bigearthnet_example}'
               for split in ('train', 'val', 'test')]
    train_tool.main([DEMO_PROBE, '--work-dir', str(root / 'probe'), '--cfg-options', *options,
                     f'model.backbone.init_cfg.checkpoint={backbone}', 'train_cfg.max_epochs=1',
                     'train_cfg.val_interval=1'])
    return root / 'probe' / 'epoch_1.pth', options


def test_demo_recipe_tests_with_metrics_json_predictions_and_figures(tmp_path, probe_checkpoint):
    checkpoint, options = probe_checkpoint
    out, dump, show = tmp_path / 'new' / 'metrics.json', tmp_path / 'p' / 'preds.pkl', \
        tmp_path / 'figs'
    metrics = test_tool.main([DEMO_PROBE, str(checkpoint), '--work-dir', str(tmp_path / 'w'),
                              '--out', str(out), '--dump', str(dump), '--show-dir', str(show),
                              '--show-num', '3', '--cfg-options', *options])
    written = json.loads(out.read_text())
    assert written.keys() - {'source'} == metrics.keys() and 'multi-label/mAP_present' in written
    source = written['source']  # what the numbers came from (was missing)
    assert source['config'].endswith(DEMO_PROBE) and source['test_samples'] == 6
    assert source['checkpoint'] == str(checkpoint)
    assert source['checkpoint_sha256'] == hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    assert 0 <= written['multi-label/mAP_present'] <= 100
    predictions = pickle.loads(dump.read_bytes())
    assert len(predictions) == 6 and predictions[0]['pred_score'].shape == (19, )
    figures = sorted(show.glob('*.png'))
    assert len(figures) == 3
    pixels = np.asarray(Image.open(figures[0]).convert('RGB'))
    green = np.array([44, 160, 44])  # matplotlib 'tab:green': the ground-truth bars
    # every ground-truth class has a bar (the legend patch alone is ~100 pixels)
    assert (np.abs(pixels.astype(int) - green).sum(-1) < 10).sum() > 1000


def test_out_must_be_json_and_dump_pickle(probe_checkpoint):
    checkpoint, _ = probe_checkpoint
    with pytest.raises(SystemExit):
        test_tool.parse_args([DEMO_PROBE, str(checkpoint), '--out', 'metrics.pkl'])
    with pytest.raises(SystemExit):
        test_tool.parse_args([DEMO_PROBE, str(checkpoint), '--dump', 'preds.json'])


def test_pretraining_recipe_is_refused_with_the_fix(tmp_path, probe_checkpoint):
    checkpoint, _ = probe_checkpoint
    with pytest.raises(KeyError, match='downstream recipe.*eossl-extract-backbone'):
        test_tool.main([PRETRAIN, str(checkpoint), '--work-dir', str(tmp_path)])


def test_runner_type_of_the_recipe_is_used(tmp_path, probe_checkpoint, monkeypatch):
    checkpoint, options = probe_checkpoint
    built = []
    from eossl.cli.launch import runner_config as cli
    original = cli.build_runner

    def spy(cfg: Config):
        built.append(cfg.get('runner_type'))
        return original(cfg)
    monkeypatch.setattr(test_tool, 'build_runner', spy)
    test_tool.main([DEMO_PROBE, str(checkpoint), '--work-dir', str(tmp_path),
                    '--cfg-options', *options, 'runner_type=Runner'])
    assert built == ['Runner']


def test_segmentation_figures_show_input_label_and_prediction(tmp_path):
    from eossl.visualization.prediction_figures import class_colours, save_segmentation_figure
    label = np.zeros((32, 32), np.int64)
    label[:, 16:] = 1
    pred = np.full((32, 32), 2)
    image = torch.rand(13, 32, 32)
    bands = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12')
    out = tmp_path / 'seg.png'
    save_segmentation_figure(image, label, pred, str(out), ['a', 'b', 'c'], bands)
    pixels = np.asarray(Image.open(out).convert('RGB')).astype(int)
    colours = (class_colours(3) * 255).round().astype(int)

    def count(colour):
        return int((np.abs(pixels - colour).sum(-1) <= 3).sum())
    # label: half class 0, half class 1; prediction: all class 2 → class 2 twice as large
    assert count(colours[0]) > 100 and count(colours[1]) > 100
    assert count(colours[2]) > 1.6 * count(colours[0])


def test_the_script_runs(probe_checkpoint, tmp_path, repo_root):
    checkpoint, options = probe_checkpoint
    out = tmp_path / 'm.json'
    subprocess.run([sys.executable, 'tools/test.py', DEMO_PROBE, str(checkpoint), '--out',
                    str(out), '--work-dir', str(tmp_path), '--cfg-options', *options],
                   cwd=repo_root, check=True, capture_output=True)
    assert 'multi-label/mAP_present' in json.loads(out.read_text())
