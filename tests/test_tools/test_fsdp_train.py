"""FSDP on CPU: ``tools/dist_train.sh`` with the PerA ViT-L FSDP recipe, shrunk to a tiny ViT,
streams packed shards on 2 gloo processes, saves full checkpoints, resumes, and the saved
backbone loads into a downstream ViT."""
import json
import math

import pytest
import torch

from eossl.datasets import SSL4EOS12
from eossl.datasets.shards import pack_dataset
from eossl.models.backbones import EOVisionTransformer
from eossl.testing.ssl4eo_s12 import make_fake_ssl4eo_s12

from .training_runs import REPO_ROOT, logged_losses, run_train

S2 = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12')
TINY = dict(embed_dims=32, num_layers=2, num_heads=2, mlp_ratio=2.0)
RECIPE = f"""_base_ = ['{REPO_ROOT}/configs/pera/pera_vitl16_s2_fsdp.py']
model = dict(
    backbone=dict(arch=dict(_delete_=True, **{TINY})), num_local=2,
    head=dict(in_channels=32, num_prototypes=256, hidden_channels=64, bottleneck_channels=32),
    pixel_head=dict(in_channels=32, hidden_channels=64, bottleneck_channels=32))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        pin_memory=False, dataset=dict(data_root='{{shards}}'))
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
"""
SMALL_VIEWS = [
    'train_dataloader.dataset.pipeline.0.target_size=64',
    'train_dataloader.dataset.pipeline.1.num_local=2',
    'train_dataloader.dataset.pipeline.1.global_crop.size=64',
    'train_dataloader.dataset.pipeline.1.local_crop.size=32',
]


@pytest.mark.weight(29)
def test_fsdp_trains_saves_resumes_and_exports_a_backbone(tmp_path):
    make_fake_ssl4eo_s12(tmp_path / 'ssl4eo', num_locations=4, seasons=1, size=66,
                         modalities=('s2c',))
    pack_dataset(SSL4EOS12(tmp_path / 'ssl4eo', modality='s2c', seasons='all'),
                 tmp_path / 'shards', samples_per_shard=3)
    recipe = tmp_path / 'pera_tiny_fsdp.py'
    recipe.write_text(RECIPE.replace('{shards}', str(tmp_path / 'shards')))
    work = tmp_path / 'work'
    # 4 samples / (2 processes x batch 2) = 1 step per epoch; lr scaled by 4 / 1024
    run_train(str(recipe), work, '--auto-scale-lr', '--cfg-options', 'train_cfg.max_epochs=1',
              *SMALL_VIEWS, nproc=2)
    resumed = run_train(str(recipe), work, '--resume', '--cfg-options',
                        'train_cfg.max_epochs=2', *SMALL_VIEWS, nproc=2)
    assert 'resumed epoch: 1, iter: 1' in resumed.stdout + resumed.stderr
    losses = logged_losses(work)
    assert sorted(losses) == [1, 2] and all(math.isfinite(v) for v in losses.values())
    first_lr = [json.loads(line)['lr'] for line in
                sorted(work.glob('*/vis_data/scalars.json'))[0].read_text().splitlines()][0]
    assert math.isclose(first_lr, 1e-3 * 4 / 1024 * 1e-4, rel_tol=1e-3)  # base lr x scale x warm-up

    checkpoint = torch.load(work / 'epoch_2.pth', map_location='cpu', weights_only=False)
    state = checkpoint['state_dict']  # full, unsharded: the shapes of the model
    assert state['backbone.pos_embed'].shape == (1, 1 + 14 * 14, 32)  # img_size 224
    assert state['teacher.module.backbone.blocks.1.mlp.fc2.weight'].shape == (32, 64)
    assert checkpoint['meta']['data_state']['epoch'] == 1

    downstream = EOVisionTransformer(arch=TINY, bands=S2, img_size=224, patch_size=16,
                                     layer_scale_init_value=None,  # PerA: no LayerScale
                                     init_cfg=dict(type='Pretrained', checkpoint=str(
                                         work / 'epoch_2.pth'), prefix='backbone.'))
    downstream.init_weights()
    loaded = downstream.state_dict()
    backbone = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    assert loaded.keys() == backbone.keys()
    assert all(torch.equal(loaded[k], backbone[k]) for k in loaded)
