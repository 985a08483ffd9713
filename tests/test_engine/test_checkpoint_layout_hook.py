"""CheckpointLayoutHook: ``load_from`` with a checkpoint in a foreign key layout fails with a
message naming the layout and the converter, instead of training from random weights.

(A crafted *malicious* checkpoint is refused before any key is looked at:
tests/test_compat.py::test_malicious_checkpoint_is_refused and
::test_runner_resume_refuses_malicious_checkpoint.)"""
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from eossl.checkpoints import CheckpointLayoutHook, ForeignCheckpointError
from eossl.registry import MODELS

from ..test_tools.training_runs import REPO_ROOT

TINY_VIT = dict(embed_dims=24, num_layers=2, num_heads=2)


def _softcon() -> torch.nn.Module:
    return MODELS.build(dict(
        type='SoftCon', num_classes=4,
        backbone=dict(type='EOVisionTransformer', arch=TINY_VIT, in_channels=3, img_size=28,
                      patch_size=14),
        neck=dict(type='ProjectionMLP', in_channels=24, hid_channels=16, out_channels=8,
                  with_avg_pool=False),
        head=dict(type='SoftContrastiveHead', loss=dict(type='SoftContrastiveLoss'))))


def _load_from(tmp_path, model: torch.nn.Module, checkpoint) -> Runner:
    runner = Runner(model=model, work_dir=str(tmp_path / 'work'), default_scope='eossl',
                    experiment_name=f'layout-{tmp_path.name}', load_from=str(checkpoint),
                    default_hooks=dict(checkpoint_layout=dict(type='CheckpointLayoutHook')),
                    log_level='WARNING')
    runner.load_or_resume()
    return runner


def test_official_softcon_backbone_is_refused_then_loads_after_conversion(tmp_path):
    official = tmp_path / 'B13_vits14_softcon.pth'
    trained = _softcon()
    torch.save(trained.backbone.state_dict(), official)  # DINOv2 key names, no prefix
    with pytest.raises(ForeignCheckpointError) as error:
        _load_from(tmp_path, _softcon(), official)
    message = str(error.value)
    assert str(official) in message and 'DINOv2-style ViT backbone' in message
    assert 'eossl-softcon-to-eossl SRC DST --prefix backbone.' in message

    from eossl.cli.softcon_to_eossl import main as convert
    converted = tmp_path / 'converted.pth'
    convert([str(official), str(converted), '--prefix', 'backbone.'])
    model = _softcon()
    _load_from(tmp_path, model, converted)
    assert torch.equal(model.backbone.pos_embed, trained.backbone.pos_embed)


def _check(model: torch.nn.Module, checkpoint: dict) -> None:
    """Call the hook as the Runner does after loading ``checkpoint``."""
    runner = SimpleNamespace(model=model, cfg=Config(dict(load_from='ckpt.pth')))
    CheckpointLayoutHook().after_load_checkpoint(runner, checkpoint)


def test_official_mmearth_checkpoint_points_to_its_converter():
    cfg = Config.fromfile(REPO_ROOT / 'configs/mpmae/mpmae_convnextv2-atto_s2_200e_mmearth-56.py')
    model = MODELS.build(cfg.model)
    official = {'model': None, 'state_dict': {
        'encoder.initial_conv.0.kernel': torch.zeros(9, 12, 40), 'proj.weight': torch.zeros(1),
        'mask_token': torch.zeros(1), 'pred_dict.sentinel2.weight': torch.zeros(1)}}
    with pytest.raises(ForeignCheckpointError, match=r'ckpt\.pth.*official MMEarth.*'
                       r'eossl-mmearth-to-eossl SRC DST'):
        _check(model, official)


def test_bare_part_and_unknown_layouts_are_described():
    with pytest.raises(ForeignCheckpointError, match='model part "neck" without its prefix'):
        _check(_softcon(), _softcon().neck.state_dict())
    with pytest.raises(ForeignCheckpointError, match='another model or codebase'):
        _check(_softcon(), {'fc.weight': torch.zeros(1), 'fc.bias': torch.zeros(1)})


def test_matching_and_partially_matching_checkpoints_pass():
    model = _softcon()
    _check(model, {'state_dict': model.state_dict(), 'meta': {}})
    partial = {f'module.{k}': v for k, v in model.backbone.state_dict(prefix='backbone.').items()}
    _check(model, partial)  # DDP's module. prefix is stripped as mmengine does
