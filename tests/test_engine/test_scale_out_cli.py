"""tools/train.py for scale-out: --auto-scale-lr, the runner a recipe asks for, FSDP on CPU."""
import pytest
import torch
from mmengine._strategy import FSDPStrategy
from mmengine.config import Config
from mmengine.runner import FlexibleRunner, Runner

from eossl.cli.launch.runner_config import build_runner, merge_cli_args
from eossl.compat import adapt_fsdp_to_cpu, install_fsdp_resume_fix

FSDP_BASE = 'configs/_base_/strategies/fsdp.py'


TINY_VIT = dict(type='EOVisionTransformer', arch=dict(embed_dims=8, num_layers=1, num_heads=1),
                in_channels=1, img_size=8, patch_size=4)


def test_auto_scale_lr_needs_the_global_batch_of_the_recipe():
    cfg = merge_cli_args(Config(dict(auto_scale_lr=dict(base_batch_size=256, enable=False))),
                         config_path='x.py', auto_scale_lr=True)
    assert cfg.auto_scale_lr == dict(base_batch_size=256, enable=True)
    with pytest.raises(KeyError, match='x.py has no auto_scale_lr'):
        merge_cli_args(Config(dict(model=dict())), config_path='x.py', auto_scale_lr=True)


def test_recipes_with_a_strategy_get_a_flexible_runner(tmp_path):
    plain = dict(model=TINY_VIT, work_dir=str(tmp_path), default_scope='eossl',
                 env_cfg=dict(dist_cfg=dict(backend='gloo')))
    assert type(build_runner(Config(plain))) is Runner
    flexible = build_runner(Config(dict(plain, strategy=Config.fromfile(FSDP_BASE).strategy)))
    assert type(flexible) is FlexibleRunner and type(flexible.strategy) is FSDPStrategy
    chosen = build_runner(Config(dict(plain, runner_type='FlexibleRunner')))
    assert type(chosen) is FlexibleRunner


def test_fsdp_recipes_shard_cpu_modules_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)  # pinned: a CPU-only host
    cfg = Config.fromfile(FSDP_BASE)
    assert adapt_fsdp_to_cpu(cfg) and cfg.strategy.model_wrapper.device_id == 'cpu'
    assert cfg.strategy.model_wrapper.auto_wrap_policy.type == 'eossl.transformer_block_wrap_policy'
    explicit = Config(dict(strategy=dict(type='FSDPStrategy', model_wrapper=dict(device_id=3))))
    assert not adapt_fsdp_to_cpu(explicit) and explicit.strategy.model_wrapper.device_id == 3
    assert not adapt_fsdp_to_cpu(Config(dict(strategy=dict(type='DeepSpeedStrategy'))))


def test_fsdp_resume_fix_is_installed_once():
    assert FSDPStrategy.load_optim_state_dict.__module__ == 'eossl.compat.fsdp'
    assert install_fsdp_resume_fix() is False  # import eossl installed it already
