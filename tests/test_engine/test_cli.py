"""The rules ``tools/train.py`` applies to a recipe before building the Runner."""
import os

import pytest
import torch
from mmengine.config import Config

from eossl.cli.launch.runner_config import adapt_to_device, check_top_level_keys, merge_cli_args


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


@pytest.fixture
def cpu_only(monkeypatch):
    """This machine as one without CUDA, whatever it has (tests pin their device)."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 0)


@pytest.fixture
def one_gpu(monkeypatch):
    """This machine as one with a single CUDA device of compute capability ``one_gpu[0]``
    (settable); nothing touches a real device."""
    capability = [(9, 0)]
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 1)
    monkeypatch.setattr(torch.cuda, 'get_device_capability', lambda index=None: capability[0])
    return capability


@pytest.fixture
def logged(monkeypatch):
    from eossl.cli.launch import runner_config as cli
    messages = []
    monkeypatch.setattr(cli, 'print_log', lambda message, **kwargs: messages.append(message))
    return messages


@pytest.mark.parametrize('instructions', [['AMX-BF16'], []])
def test_amp_on_cpu_uses_bf16_where_the_cpu_has_it_and_says_when_not(
        cpu_only, logged, monkeypatch, instructions):
    from eossl.engine import precision
    monkeypatch.setattr(precision, 'cpu_bf16_instructions', lambda: instructions)
    cfg = merge_cli_args(recipe(), config_path='x.py', amp=True)
    if instructions:
        assert cfg.optim_wrapper.type == 'EOOptimWrapper'
        assert cfg.optim_wrapper.dtype == 'bfloat16'
    else:
        assert cfg.optim_wrapper.type == 'OptimWrapper' and 'dtype' not in cfg.optim_wrapper
        assert 'no bf16 matrix instructions' in logged[0] and 'trains in fp32' in logged[0]


def test_amp_on_gpus_picks_bf16_from_ampere_and_fp16_before(one_gpu, logged):
    assert merge_cli_args(recipe(), config_path='x.py', amp=True).optim_wrapper.dtype == \
        'bfloat16'
    one_gpu[0] = (7, 0)  # V100: bf16 only emulated
    assert merge_cli_args(recipe(), config_path='x.py', amp=True).optim_wrapper.dtype == \
        'float16'


def test_amp_on_fsdp_sets_a_mixed_precision_policy_and_fsdp_clips_all_shards(one_gpu, logged):
    fsdp = recipe(strategy=dict(type='FSDPStrategy', model_wrapper=dict()))
    cfg = merge_cli_args(fsdp, config_path='x.py', amp=True)
    assert cfg.strategy.model_wrapper.mixed_precision == dict(
        param_dtype='bfloat16', reduce_dtype='float32', buffer_dtype='float32')
    assert cfg.optim_wrapper.use_fsdp
    plain = merge_cli_args(recipe(strategy=dict(type='FSDPStrategy')), config_path='x.py')
    assert plain.optim_wrapper.type == 'EOOptimWrapper'
    assert "'OptimWrapper' -> 'EOOptimWrapper' (FSDP: clip by the norm over all shards)" in \
        logged[-1]


def test_single_process_runs_are_left_alone_on_cpu(cpu_only):
    cfg = adapt_to_device(merge_cli_args(recipe(), config_path='x.py'))
    assert 'model_wrapper_cfg' not in cfg and 'env_cfg' not in cfg


def test_deterministic_recipes_name_the_cublas_workspace_they_need(cpu_only, logged,
                                                                    monkeypatch):
    monkeypatch.delenv('CUBLAS_WORKSPACE_CONFIG', raising=False)
    adapt_to_device(merge_cli_args(recipe(randomness=dict(deterministic=True)),
                                   config_path='x.py'))
    assert os.environ['CUBLAS_WORKSPACE_CONFIG'] == ':4096:8'
    assert 'CUBLAS_WORKSPACE_CONFIG' in logged[0]


def test_device_adaptation_logs_every_change_it_makes(cpu_only, logged, monkeypatch):
    from eossl.cli.launch import runner_config as cli
    monkeypatch.setattr(cli, 'init_cpu_process_group', lambda launcher: True)
    cfg = recipe(env_cfg=dict(dist_cfg=dict(backend='nccl')),
                 strategy=dict(type='FSDPStrategy'))
    adapt_to_device(merge_cli_args(cfg, config_path='x.py', launcher='pytorch'))
    prefix = 'adapted the recipe to this machine: '
    assert logged[1:] == [
        prefix + "env_cfg.dist_cfg.backend: 'nccl' -> 'gloo'",
        prefix + "strategy.model_wrapper.device_id: unset -> 'cpu'",
        prefix + "model_wrapper_cfg: None (MMDistributedDataParallel) -> {'type': "
        "'eossl.DeviceAgnosticDDP', 'broadcast_buffers': False, 'find_unused_parameters': False}",
        prefix + "process group: started with gloo here on the CPU instead of by mmengine's "
        'launcher (which selects cuda:<LOCAL_RANK> first)']
    logged.clear()
    kept = recipe(env_cfg=dict(dist_cfg=dict(backend='gloo')), model_wrapper_cfg=dict(type='X'))
    monkeypatch.setattr(cli, 'init_cpu_process_group', lambda launcher: False)
    adapt_to_device(merge_cli_args(kept, config_path='x.py', launcher='pytorch'))
    assert logged == []  # nothing changed, nothing said


def test_two_processes_on_a_one_gpu_host_share_it_over_gloo(one_gpu, logged, monkeypatch):
    from eossl.cli.launch import runner_config as cli
    started = []
    monkeypatch.setattr(cli, 'init_shared_gpu_process_group',
                        lambda launcher, device: started.append(device) or True)
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '2')
    monkeypatch.setenv('LOCAL_RANK', '1')
    cfg = adapt_to_device(merge_cli_args(recipe(env_cfg=dict(dist_cfg=dict(backend='nccl'))),
                                         config_path='x.py', launcher='pytorch'))
    assert started == [0]  # rank 1 selects cuda:0, not the missing cuda:1
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg.type == 'eossl.DeviceAgnosticDDP'
    assert 'cuda:0, shared by 2 processes' in logged[-1]
    logged.clear()
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '1')  # one process per GPU: the recipe as written
    kept = adapt_to_device(merge_cli_args(recipe(env_cfg=dict(dist_cfg=dict(backend='nccl'))),
                                          config_path='x.py', launcher='pytorch'))
    assert kept.env_cfg.dist_cfg.backend == 'nccl' and logged == []


def test_tf32_is_a_named_recipe_option(one_gpu, logged, monkeypatch):
    # the switch is recorded, not flipped: torch's TF32 flags are process-wide, and a failed
    # restore of them in teardown would leave the other patches (CUDA present) in place
    from eossl.cli.launch import runner_config as cli
    switched = []
    monkeypatch.setattr(cli, 'enable_tf32', lambda enabled=True: switched.append(enabled))
    adapt_to_device(merge_cli_args(recipe(), config_path='x.py'))
    assert switched == []
    adapt_to_device(merge_cli_args(recipe(allow_tf32=True), config_path='x.py'))
    assert switched == [True]
    assert logged == ['adapted the recipe to this machine: allow_tf32: TF32 matmuls and '
                      'convolutions on']
