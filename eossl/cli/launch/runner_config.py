"""Turn a recipe plus command-line options into the config a Runner is built from.

Shared by ``eossl-train``, ``eossl-test`` and ``eossl-dist-train`` so that all apply the same
rules, and importable so that the rules are unit-tested.
"""
import difflib
import inspect
import logging
import os
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import FlexibleRunner, Runner

from eossl.checkpoints.integrity import auto_resume_checkpoint
from eossl.compat import (
    adapt_fsdp_to_cpu,
    init_cpu_process_group,
    init_shared_gpu_process_group,
)
from eossl.engine.precision import apply_amp, enable_tf32
from eossl.registry import RUNNERS

# cuBLAS refuses deterministic matmuls without a fixed workspace (CUDA >= 10.2)
CUBLAS_WORKSPACE = ':4096:8'

# Top-level names a recipe may set besides the Runner's own arguments.
_CONFIG_ONLY_KEYS = {'_base_', 'default_scope', 'launcher', 'auto_scale_lr', 'sync_bn',
                     'find_unused_parameters', 'runner_type', 'custom_imports', 'model_wrapper',
                     'strategy', 'model_wrapper_cfg', 'allow_tf32'}


def runner_keys() -> set[str]:
    """Names the mmengine Runner reads from a config."""
    return set(inspect.signature(Runner.__init__).parameters) - {'self'} | _CONFIG_ONLY_KEYS


def check_top_level_keys(cfg: Config) -> None:
    """Fail on a top-level key that looks like a misspelt Runner key.

    Recipes may define their own variables (``data_root``, ``crop_size``), so an unknown key is
    only an error when it is close to, but not equal to, a key the Runner reads: the Runner would
    silently ignore ``trian_dataloader`` and train with no data.
    """
    known = runner_keys()
    for key in cfg.keys():
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
        if close:
            raise KeyError(f'{cfg.filename or "recipe"}: top-level key "{key}" is not a Runner '
                           f'setting; did you mean "{close[0]}"?')


def merge_cli_args(cfg: Config, *, config_path: str, work_dir: str | None = None,
                   resume: str | None = None, amp: bool = False, launcher: str = 'none',
                   cfg_options: dict | None = None, auto_scale_lr: bool = False) -> Config:
    """Apply the command-line options of ``tools/train.py`` to ``cfg`` (in place) and return it.

    ``resume='auto'`` resumes from the newest intact checkpoint in the work dir (a corrupt or
    truncated newer one is skipped with a warning, see
    :func:`eossl.checkpoints.integrity.auto_resume_checkpoint`), a path resumes from
    that checkpoint (verified when loaded). ``--amp`` trains under autocast on this machine's
    device, bf16 where it is native (:func:`eossl.engine.precision.apply_amp`; every change is
    logged). An FSDP recipe whose optimizer wrapper is mmengine's (which would clip each
    rank's shard by its own norm) gets :class:`~eossl.engine.optim_wrapper.EOOptimWrapper`,
    logged as well.
    ``--auto-scale-lr`` turns on the recipe's ``auto_scale_lr``: mmengine multiplies every
    learning rate by (processes × batch per process) / ``base_batch_size``.
    """
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs',
                               osp.splitext(osp.basename(config_path.split('::')[-1]))[0])
    changes = []
    if amp:
        changes += apply_amp(cfg, 'cuda' if torch.cuda.is_available() else 'cpu')
    strategy, wrapper = cfg.get('strategy') or {}, cfg.get('optim_wrapper') or {}
    if strategy.get('type') == 'FSDPStrategy' and \
            wrapper.get('type', 'OptimWrapper') in ('OptimWrapper', 'AmpOptimWrapper'):
        changes.append(f"optim_wrapper.type: {wrapper.get('type', 'OptimWrapper')!r} -> "
                       "'EOOptimWrapper' (FSDP: clip by the norm over all shards)")
        wrapper['type'] = 'EOOptimWrapper'
    for change in changes:
        print_log(change, logger='current', level=logging.WARNING)
    if resume == 'auto':  # the newest intact checkpoint, warning about any skipped one
        cfg.resume, cfg.load_from = True, auto_resume_checkpoint(cfg.work_dir)
    elif resume is not None:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume {resume}: no such checkpoint file')
        cfg.resume, cfg.load_from = True, resume
    if auto_scale_lr:
        if 'base_batch_size' not in (cfg.get('auto_scale_lr') or {}):
            raise KeyError(f'--auto-scale-lr: {config_path} has no auto_scale_lr = dict('
                           'base_batch_size=...), the global batch its learning rate is set for')
        cfg.auto_scale_lr.enable = True
    if cfg_options:  # last, so an explicit override always wins
        cfg.merge_from_dict(cfg_options)
    check_top_level_keys(cfg)
    return cfg


def build_runner(cfg: Config) -> Runner | FlexibleRunner:
    """The runner a recipe asks for: ``runner_type`` when set, else mmengine's
    ``FlexibleRunner`` for a recipe with a ``strategy`` (FSDP, DeepSpeed, ...), else ``Runner``."""
    if cfg.get('runner_type'):
        return RUNNERS.build(cfg)
    return FlexibleRunner.from_cfg(cfg) if cfg.get('strategy') else Runner.from_cfg(cfg)


def adapt_to_device(cfg: Config) -> Config:
    """Make a recipe run on the devices of this machine, logging each change as a warning.

    - ``allow_tf32 = True`` (a named top-level option; PerA recipes set it, as DINOv2's
      training script does): TF32 tensor cores for fp32 matmuls and convolutions
      (:func:`enable_tf32`).
    - ``randomness.deterministic``: cuBLAS needs ``CUBLAS_WORKSPACE_CONFIG`` set before its
      first call; it is set to ``:4096:8`` unless the environment sets it.
    - A distributed run without CUDA: gloo, a CPU-capable DDP wrapper, FSDP on CPU modules, and
      the process group started here (mmengine's launcher selects a CUDA device first; see
      :mod:`eossl.compat.distributed`).
    - A distributed run with more processes on this host than GPUs (two test ranks on a
      one-GPU machine): the ranks share GPUs (``LOCAL_RANK`` modulo the GPU count) over gloo.

    Each change reads ``adapted the recipe to this machine: KEY: OLD -> NEW``, so a run never
    uses another backend, wrapper or precision than its recipe says without saying so.
    """
    changes = []
    if cfg.get('allow_tf32') and torch.cuda.is_available():
        enable_tf32()
        changes.append('allow_tf32: TF32 matmuls and convolutions on')
    if cfg.get('randomness', {}).get('deterministic') and \
            'CUBLAS_WORKSPACE_CONFIG' not in os.environ:
        os.environ['CUBLAS_WORKSPACE_CONFIG'] = CUBLAS_WORKSPACE
        changes.append(f'randomness.deterministic: CUBLAS_WORKSPACE_CONFIG unset -> '
                       f'{CUBLAS_WORKSPACE!r} (cuBLAS needs it for deterministic matmuls)')
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    local_world = int(os.environ.get('LOCAL_WORLD_SIZE', 1))
    if cfg.launcher != 'none' and (gpus == 0 or local_world > gpus):
        changes += _share_devices(cfg, gpus)
    for change in changes:
        print_log(f'adapted the recipe to this machine: {change}', logger='current',
                  level=logging.WARNING)
    return cfg


def _share_devices(cfg: Config, gpus: int) -> list[str]:
    """The changes for a distributed run on the CPU (``gpus == 0``) or on fewer GPUs than
    processes: gloo, DeviceAgnosticDDP, and the process group started here."""
    changes = []
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    if dist_cfg.get('backend') != 'gloo':
        changes.append(f"env_cfg.dist_cfg.backend: {dist_cfg.get('backend')!r} -> 'gloo'")
        dist_cfg['backend'] = 'gloo'
    device = int(os.environ.get('LOCAL_RANK', 0)) % max(gpus, 1)
    if gpus == 0 and adapt_fsdp_to_cpu(cfg):
        changes.append("strategy.model_wrapper.device_id: unset -> 'cpu'")
    strategy = cfg.get('strategy') or {}
    if gpus and strategy.get('type') == 'FSDPStrategy':
        model_wrapper = strategy.setdefault('model_wrapper', {})
        if 'device_id' not in model_wrapper:
            model_wrapper['device_id'] = device
            changes.append(f'strategy.model_wrapper.device_id: unset -> {device}')
    if cfg.get('model_wrapper_cfg') is None:
        # naming a wrapper drops the Runner's own defaults, so restate them
        cfg.model_wrapper_cfg = dict(
            type='eossl.DeviceAgnosticDDP', broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
        changes.append(f'model_wrapper_cfg: None (MMDistributedDataParallel) -> '
                       f'{dict(cfg.model_wrapper_cfg)}')
    started = (init_shared_gpu_process_group(cfg.launcher, device) if gpus
               else init_cpu_process_group(cfg.launcher))
    if started:
        where = f'cuda:{device}, shared by {os.environ.get("LOCAL_WORLD_SIZE")} processes' \
            if gpus else 'the CPU'
        changes.append(f'process group: started with gloo here on {where} instead of by '
                       "mmengine's launcher (which selects cuda:<LOCAL_RANK> first)")
    return changes
