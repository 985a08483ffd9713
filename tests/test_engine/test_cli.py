"""The rules ``tools/train.py`` applies to a recipe before building the Runner."""
import pytest
import torch
from mmengine.config import Config

from eossl.engine.cli import adapt_to_device, check_top_level_keys, merge_cli_args


def recipe(**fields) -> Config:
    base = dict(model=dict(type='DualSimCLR'), optim_wrapper=dict(type='OptimWrapper'),
                train_cfg=dict(max_epochs=1), data_root='data/x')
    return Config({**base, **fields})


def test_misspelt_runner_key_is_named_with_a_suggestion():
    with pytest.raises(KeyError, match='"trian_dataloader".*did you mean "train_dataloader"'):
        check_top_level_keys(recipe(trian_dataloader=dict()))


def test_recipe_variables_are_not_mistaken_for_typos():
    check_top_level_keys(recipe(crop_size=128, S2_BANDS=('B2', ), train_pipeline=[]))


def test_cli_overrides_resume_and_work_dir(tmp_path):
    ckpt = tmp_path / 'epoch_2.pth'
    ckpt.write_bytes(b'')
    cfg = merge_cli_args(recipe(), config_path='configs/x/demo.py', resume=str(ckpt),
                         cfg_options={'train_cfg.max_epochs': 7})
    assert (cfg.resume, cfg.load_from) == (True, str(ckpt))
    assert cfg.work_dir == 'work_dirs/demo' and cfg.train_cfg.max_epochs == 7
    auto = merge_cli_args(recipe(), config_path='x.py', resume='auto', work_dir='w')
    assert (auto.resume, auto.load_from, auto.work_dir) == (True, None, 'w')


def test_missing_resume_checkpoint_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        merge_cli_args(recipe(), config_path='x.py', resume=str(tmp_path / 'nope.pth'))


def test_cli_option_typo_is_caught_too():
    with pytest.raises(KeyError, match='did you mean "train_cfg"'):
        merge_cli_args(recipe(), config_path='x.py', cfg_options={'train_cgf.max_epochs': 2})


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU-only message')
def test_amp_without_cuda_says_so():
    with pytest.raises(RuntimeError, match='--amp needs a CUDA device'):
        merge_cli_args(recipe(), config_path='x.py', amp=True)


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU-only adaptation')
def test_single_process_runs_are_left_alone_on_cpu():
    cfg = adapt_to_device(merge_cli_args(recipe(), config_path='x.py'))
    assert 'model_wrapper_cfg' not in cfg and 'env_cfg' not in cfg


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU-only adaptation')
def test_device_adaptation_logs_every_change_it_makes(monkeypatch):
    from eossl.engine import cli
    logged = []
    monkeypatch.setattr(cli, 'print_log', lambda message, **kwargs: logged.append(message))
    monkeypatch.setattr(cli, 'init_cpu_process_group', lambda launcher: True)
    cfg = recipe(env_cfg=dict(dist_cfg=dict(backend='nccl')),
                 strategy=dict(type='FSDPStrategy'))
    adapt_to_device(merge_cli_args(cfg, config_path='x.py', launcher='pytorch'))
    prefix = 'adapted the recipe to this CPU-only machine: '
    assert logged == [
        prefix + "env_cfg.dist_cfg.backend: 'nccl' -> 'gloo'",
        prefix + "strategy.model_wrapper.device_id: unset -> 'cpu'",
        prefix + "model_wrapper_cfg: None (MMDistributedDataParallel) -> {'type': "
        "'eossl.DeviceAgnosticDDP', 'broadcast_buffers': False, 'find_unused_parameters': False}",
        prefix + "process group: started with gloo here instead of by mmengine's launcher "
        '(which selects a CUDA device first)']
    logged.clear()
    kept = recipe(env_cfg=dict(dist_cfg=dict(backend='gloo')), model_wrapper_cfg=dict(type='X'))
    monkeypatch.setattr(cli, 'init_cpu_process_group', lambda launcher: False)
    adapt_to_device(merge_cli_args(kept, config_path='x.py', launcher='pytorch'))
    assert logged == []  # nothing changed, nothing said
