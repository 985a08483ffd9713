"""eossl backbones in TerraTorch (its own venv: .ci/run, step terratorch).

``terratorch fit`` trains a segmentation task on an eossl ViT-S with eossl weights for two steps
on generated GeoTIFFs, from a config that names the backbone and nothing else of eossl (the
registry entry comes from eossl's start-up hook: eossl is installed as a wheel there).
"""
import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_checkpoints import (
    official_softcon_vit_state,
    populate_hub_cache,
    write_tiny_vit_checkpoint,
    write_tiny_vit_recipe,
)

from eossl.testing.geotiff_folder import write_geotiff

BANDS = ['BLUE', 'GREEN', 'RED', 'NIR_NARROW', 'SWIR_1', 'SWIR_2']
CONFIG = '''\
seed_everything: 0
trainer:
  accelerator: cpu
  max_steps: 2
  limit_val_batches: 1
  num_sanity_val_steps: 0
  log_every_n_steps: 1
  enable_checkpointing: false
  logger:
    class_path: lightning.pytorch.loggers.CSVLogger
    init_args: {{save_dir: {logs}, name: run}}
data:
  class_path: terratorch.datamodules.GenericNonGeoSegmentationDataModule
  init_args:
    batch_size: 2
    num_workers: 0
    num_classes: 3
    train_data_root: {data}/train
    val_data_root: {data}/val
    test_data_root: {data}/val
    img_grep: "*_img.tif"
    label_grep: "*_mask.tif"
    means: [1000, 1100, 1200, 2500, 2000, 1500]
    stds: [500, 500, 500, 800, 700, 600]
    dataset_bands: {bands}
    output_bands: {bands}
model:
  class_path: terratorch.tasks.SemanticSegmentationTask
  init_args:
    model_factory: EncoderDecoderFactory
    model_args:
      backbone: eossl_vit_small
      backbone_ckpt_path: {ckpt}
      backbone_model_bands: {bands}
      decoder: FCNDecoder
      num_classes: 3
    loss: ce
    ignore_index: 255
'''


def _write_tiles(folder: Path, count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for i in range(count):
        pixels = rng.integers(200, 4000, (len(BANDS), 56, 56)).astype(np.uint16)
        write_geotiff(folder / f'tile{i}_img.tif', pixels)
        write_geotiff(folder / f'tile{i}_mask.tif', rng.integers(0, 3, (56, 56)).astype(np.uint8))


@pytest.fixture(scope='module')
def vit_small_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp('eossl_vits')
    recipe = write_tiny_vit_recipe(folder, img_size=224, arch='small')
    return write_tiny_vit_checkpoint(recipe, folder / 'epoch_1.pth')


def test_registry_has_every_eossl_backbone_and_loads_eossl_weights(vit_small_checkpoint,
                                                                   tmp_path, monkeypatch):
    from huggingface_hub import constants
    from terratorch.registry import BACKBONE_REGISTRY

    import eossl.integrations.terratorch  # noqa: F401  (an editable install has no hook)
    for name in ('vit_small', 'vit_base', 'resnet18', 'resnet50', 'convnextv2_atto',
                 'convnextv2_tiny', 'swin_tiny', 'softcon_vits14_s2', 'dinov2_vits14'):
        assert f'eossl_{name}' in BACKBONE_REGISTRY
    state = torch.load(vit_small_checkpoint)['state_dict']
    model = BACKBONE_REGISTRY.build('eossl_vit_small', model_bands=BANDS,
                                    ckpt_path=str(vit_small_checkpoint))
    torch.testing.assert_close(model.backbone.blocks[5].mlp.fc1.weight,
                               state['backbone.blocks.5.mlp.fc1.weight'])
    assert model.out_channels == [384] * 4 and model.index[3] == 2  # B4 <- RED
    maps = model(torch.randn(2, len(BANDS), 56, 56))
    assert [tuple(m.shape) for m in maps] == [(2, 384, 4, 4)] * 4
    # a named weight as the pretrained source (official layout, offline hub cache)
    cache = tmp_path / 'hub'
    monkeypatch.setattr(constants, 'HF_HUB_OFFLINE', True)
    monkeypatch.setattr(constants, 'HF_HUB_CACHE', str(cache))
    monkeypatch.setenv('EOSSL_WEIGHTS_DIR', str(tmp_path / 'weights'))
    official = official_softcon_vit_state(in_chans=2)
    populate_hub_cache(cache, 'wangyi111/softcon', 'B2_vits14_softcon.pth', official)
    sar = BACKBONE_REGISTRY.build('eossl_softcon_vits14_s1', model_bands=['VV', 'VH'],
                                  pretrained=True)
    torch.testing.assert_close(sar.backbone.cls_token, official['cls_token'])


def test_terratorch_fit_trains_an_eossl_vit_small_two_steps(vit_small_checkpoint, tmp_path):
    data = tmp_path / 'data'
    _write_tiles(data / 'train', 4, seed=0)
    _write_tiles(data / 'val', 2, seed=1)
    config = tmp_path / 'segmentation.yaml'
    config.write_text(CONFIG.format(logs=tmp_path / 'logs', data=data, bands=BANDS,
                                    ckpt=vit_small_checkpoint))
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}  # the installed eossl
    done = subprocess.run([str(Path(sys.executable).parent / 'terratorch'), 'fit', '--config',
                           str(config)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    metrics = next((tmp_path / 'logs' / 'run').glob('version_*/metrics.csv'))
    losses = [float(row['train/loss']) for row in csv.DictReader(metrics.open())
              if row.get('train/loss')]
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses), losses
