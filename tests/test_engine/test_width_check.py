"""WidthCheckHook: a neck / head built for another feature width than its backbone gives stops
at the first forward naming the config field, not with a raw torch shape error."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

from eossl.cli import train
from eossl.engine.hooks import WidthCheckHook, WidthMismatchError

BENCHMARKS = 'configs/benchmarks'


def _hooked(repo_root, recipe: str, head: dict | None = None, **backbone):
    cfg = Config.fromfile(str(repo_root / BENCHMARKS / recipe))
    cfg.model.backbone.update(init_cfg=None, **backbone)
    if head:
        cfg.model.head.update(head)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model).eval()
    hook = WidthCheckHook()
    hook.before_run(SimpleNamespace(cfg=cfg, model=model))
    return model, hook


@pytest.mark.parametrize('recipe, field, raw', [
    ('classification/rn50_linear_eurosat.py', 'model.head.in_channels', 'mat1 and mat2'),
    ('segmentation/fcn_rn50_dfc2020.py', 'model.auxiliary_head.in_channels|'
                                         'model.decode_head.in_channels', 'channels')])
def test_resnet18_under_a_resnet50_head_names_the_head_field(repo_root, recipe, field, raw):
    model, _ = _hooked(repo_root, recipe, depth=18)
    with torch.no_grad(), pytest.raises(WidthMismatchError, match=rf'({field}) to (512|256),'):
        model(torch.zeros(1, 13, 64, 64), mode='tensor')
    plain, _ = _hooked(repo_root, recipe, depth=18)
    for layer in plain.modules():  # without the hook torch's own error (what users saw)
        layer._forward_pre_hooks.clear()
    with torch.no_grad(), pytest.raises(RuntimeError, match=raw):
        plain(torch.zeros(1, 13, 64, 64), mode='tensor')


def test_matching_widths_pass_and_the_checks_remove_themselves(repo_root):
    model, hook = _hooked(repo_root, 'classification/rn50_linear_eurosat.py',
                          head=dict(in_channels=512), depth=18)
    with torch.no_grad():
        model(torch.zeros(1, 13, 64, 64), mode='tensor')
    assert hook._handles == {}
    assert not any(layer._forward_pre_hooks for layer in model.modules())


def test_pera_with_a_wider_backbone_names_the_head_field(tmp_path, monkeypatch, repo_root):
    # PerA fills its heads' width from the backbone; a recipe that pins another one is refused
    # when the model is built, naming both fields
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r'model\.head\.in_channels=32 does not match '
                                         r'model\.backbone\.embed_dims=48'):
        train.main([str(repo_root / 'configs/pera_vits.py'), '--preset', 'cpu-tiny',
                    '--work-dir', 'w', '--cfg-options',
                    'model.backbone.arch=dict(embed_dims=48, num_layers=2, num_heads=2, '
                    '_delete_=True)', 'model.head.in_channels=32'])
