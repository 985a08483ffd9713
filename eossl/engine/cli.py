"""Turn a recipe plus command-line options into the config a Runner is built from.

Shared by ``tools/train.py`` and ``tools/test.py`` so that both apply the same rules, and
importable so that the rules are unit-tested.
"""
import difflib
import inspect
import logging
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import FlexibleRunner, Runner

from eossl.compat import adapt_fsdp_to_cpu, init_cpu_process_group
from eossl.compat.checkpoint_integrity import auto_resume_checkpoint
from eossl.registry import RUNNERS

# Top-level names a recipe may set besides the Runner's own arguments.
_CONFIG_ONLY_KEYS = {'_base_', 'default_scope', 'launcher', 'auto_scale_lr', 'sync_bn',
                     'find_unused_parameters', 'runner_type', 'custom_imports', 'model_wrapper',
                     'strategy', 'model_wrapper_cfg'}


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
    :func:`eossl.compat.checkpoint_integrity.auto_resume_checkpoint`), a path resumes from
    that checkpoint (verified when loaded). ``--amp`` switches the optimizer wrapper to
    mmengine's AMP wrapper.
    ``--auto-scale-lr`` turns on the recipe's ``auto_scale_lr``: mmengine multiplies every
    learning rate by (processes × batch per process) / ``base_batch_size``.
    """
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs',
                               osp.splitext(osp.basename(config_path.split('::')[-1]))[0])
    if amp:
        if not torch.cuda.is_available():
            raise RuntimeError('--amp needs a CUDA device (mmengine AmpOptimWrapper); '
                               'none is available on this machine')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('dtype', 'bfloat16' if torch.cuda.is_bf16_supported()
                                     else 'float16')
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
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
    """Make a distributed recipe run on CPU-only machines (gloo, a CPU-capable DDP wrapper).

    Recipes default to NCCL, which needs CUDA; mmengine's default DDP wrapper passes
    ``device_ids``, which torch rejects for CPU modules; and mmengine's launcher selects a CUDA
    device before creating the process group, so the group is started here (see
    :mod:`eossl.compat.distributed`). Each change to the recipe is logged as a warning
    (``adapted the recipe to this CPU-only machine: KEY: OLD -> NEW``), so a run never uses
    another backend or wrapper than its recipe says without saying so.
    """
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return cfg
    changes = []
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    if dist_cfg.get('backend') != 'gloo':
        changes.append(f"env_cfg.dist_cfg.backend: {dist_cfg.get('backend')!r} -> 'gloo'")
        dist_cfg['backend'] = 'gloo'
    if adapt_fsdp_to_cpu(cfg):
        changes.append("strategy.model_wrapper.device_id: unset -> 'cpu'")
    if cfg.get('model_wrapper_cfg') is None:
        # naming a wrapper drops the Runner's own defaults, so restate them
        cfg.model_wrapper_cfg = dict(
            type='eossl.DeviceAgnosticDDP', broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
        changes.append(f'model_wrapper_cfg: None (MMDistributedDataParallel) -> '
                       f'{dict(cfg.model_wrapper_cfg)}')
    if init_cpu_process_group(cfg.launcher):
        changes.append('process group: started with gloo here instead of by mmengine\'s '
                       'launcher (which selects a CUDA device first)')
    for change in changes:
        print_log(f'adapted the recipe to this CPU-only machine: {change}', logger='current',
                  level=logging.WARNING)
    return cfg
