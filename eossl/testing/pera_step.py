"""Whole PerA training steps of a shipped recipe at a tiny size, with injected randomness.

The whole-step parity test (``tests/test_models/test_whole_step_pera.py``) and its reference
generator (:mod:`eossl.parity.pera_step`) share this: the recipe is built unchanged except for
sizes (:data:`TINY`): encoder, sparse/dense token paths, drop path, heads, loss assembly,
clipping, optimizer, parameter schedulers, teacher-temperature and EMA hooks all come from it.
One step is what mmengine's loop does: the hooks' values for the iteration, ``train_step``
(preprocessor → loss → backward → clip → AdamW) and then the EMA hook and the schedulers.

Randomness is injected: the views are given, the patch index sets are given (the data pipeline's
``DisjointMaskGenerator`` output), and the drop-path subsets come from ``torch.randperm`` after
``torch.manual_seed(seed)`` — the official code draws them in the same order.
"""
import copy
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

import eossl
from eossl.registry import HOOKS, MODELS, PARAM_SCHEDULERS

#: sizes the official PerA code also accepts (its config keys in comments)
TINY = dict(embed_dims=16,  # NET.EMBED_DIM
            num_layers=4,  # NET.DEPTH (mask tokens join before block 2)
            num_heads=2,  # NET.NUM_HEADS
            patch_size=4,  # NET.PATCH_SIZE
            global_size=32,  # AUG.GLOBAL_CROP_SIZE: 64 patches
            local_size=16,  # AUG.LOCAL_CROP_SIZE: 16 patches
            num_local=2,  # AUG.NUM_LOCAL
            num_prototypes=64,  # NET.DINO.HEAD_OUT_DIM
            hidden=32,  # NET.DINO.HEAD_HIDDEN_DIM
            bottleneck=16,  # NET.DINO.HEAD_BOTTLENECK_DIM
            batch=4,  # DATA.BATCH_SIZE_PER_GPU
            iters_per_epoch=1)  # dataset size / batch
RECIPE = 'eossl::pera/pera_vitb16_rgb_200e_official.py'  # the shipped RGB official recipe


def tiny_config(path: str, **options) -> Config:
    """The recipe at ``path`` with :data:`TINY` sizes; ``options`` are ``merge_from_dict``
    overrides (e.g. ``{'model.backbone.drop_path_mode': 'mask'}``)."""
    cfg = Config.fromfile(path)
    t = TINY
    cfg.merge_from_dict({
        'model.num_local': t['num_local'],
        'model.backbone.arch': dict(_delete_=True, embed_dims=t['embed_dims'],
                                    num_layers=t['num_layers'], num_heads=t['num_heads']),
        'model.backbone.img_size': t['global_size'],
        'model.backbone.patch_size': t['patch_size'],
        'model.head.in_channels': t['embed_dims'],
        'model.head.num_prototypes': t['num_prototypes'],
        'model.head.hidden_channels': t['hidden'],
        'model.head.bottleneck_channels': t['bottleneck'],
        'model.pixel_head.in_channels': t['embed_dims'],
        'model.pixel_head.patch_size': t['patch_size'],
        'model.pixel_head.hidden_channels': t['hidden'],
        'model.pixel_head.bottleneck_channels': t['bottleneck'],
        **options})
    return cfg


class Trainer:
    """The recipe's model, optimizer wrapper, parameter schedulers and PerA hooks.

    Args:
        cfg: a :func:`tiny_config`.
        state: initial student weights (``model.state_dict()`` names, no ``teacher.``);
            ``None`` keeps the recipe's initialization. The teacher starts as their copy.
    """

    def __init__(self, cfg: Config, state: dict[str, torch.Tensor] | None = None) -> None:
        eossl.register_all_modules()
        self.cfg = cfg
        self.model = MODELS.build(cfg.model)
        if state is None:
            self.model.init_weights()
        else:
            missing = set(self.student_state()) - set(state)
            if missing:
                raise KeyError(f'Trainer: initial state lacks {sorted(missing)}')
            self.model.load_state_dict(state, strict=False)
            self.model.teacher.update(self.model.student_parts(), momentum=0.0)
        self.model.train()
        self.optim_wrapper = build_optim_wrapper(self.model, copy.deepcopy(cfg.optim_wrapper))
        epoch = TINY['iters_per_epoch']
        self.schedulers = [PARAM_SCHEDULERS.build(
            copy.deepcopy(s), default_args=dict(optimizer=self.optim_wrapper,
                                                 epoch_length=epoch))
            for s in cfg.param_scheduler]
        hooks = {h['type']: HOOKS.build(copy.deepcopy(h)) for h in cfg.custom_hooks}
        self.ema, self.temp = hooks['TeacherEMAHook'], hooks['TeacherTempWarmupHook']
        self.max_iters = cfg.train_cfg.max_epochs * epoch
        self.iter = 0

    def student_state(self) -> dict[str, torch.Tensor]:
        """The student's parameters (everything but the teacher copy), detached clones."""
        return {k: v.detach().clone() for k, v in self.model.named_parameters()
                if not k.startswith('teacher.')}

    def teacher_state(self) -> dict[str, torch.Tensor]:
        """The EMA teacher's parameters, detached clones."""
        return {k: v.detach().clone() for k, v in self.model.named_parameters()
                if k.startswith('teacher.')}

    def advance(self, iterations: int) -> None:
        """Move the schedules on by ``iterations`` without training (a resumed run)."""
        with warnings.catch_warnings():  # no optimizer step before these scheduler steps
            warnings.simplefilter('ignore', UserWarning)
            for _ in range(iterations):
                for scheduler in self.schedulers:
                    scheduler.step()
        self.iter += iterations

    def step(self, views: Sequence[torch.Tensor], masks: list[dict[str, list[np.ndarray]]],
             seed: int, on_grads: Callable[[dict], None] | None = None) -> dict[str, float]:
        """One training iteration on ``views`` (student views of all slots, then teacher views,
        each (B, C, H, W), before normalization) with per-sample index sets ``masks``;
        ``on_grads`` sees the clipped gradients just before the optimizer step."""
        model, it = self.model, self.iter
        model.teacher_temp = self.temp.value(it, TINY['iters_per_epoch'])
        samples = [DataSample(disjoint_masks=m) for m in masks]
        optimizer = self.optim_wrapper.optimizer
        original = optimizer.step

        def step_with_grads(*args, **kwargs):
            if on_grads is not None:
                on_grads({k: p.grad.detach().clone() for k, p in model.named_parameters()
                          if p.grad is not None})
            return original(*args, **kwargs)

        optimizer.step = step_with_grads
        try:
            torch.manual_seed(seed)
            log = model.train_step(dict(inputs=list(views), data_samples=samples),
                                   self.optim_wrapper)
        finally:
            del optimizer.step
        model.update_teacher(self.ema.value(it, self.max_iters))
        for scheduler in self.schedulers:
            scheduler.step()
        self.iter += 1
        return {k: float(v.detach() if isinstance(v, torch.Tensor) else v)
                for k, v in log.items()}

    def schedule_values(self, iteration: int) -> dict[str, float]:
        """lr, weight decay, teacher momentum and temperature the recipe uses at an iteration
        the schedulers have reached (``self.iter``)."""
        group = self.optim_wrapper.optimizer.param_groups[0]
        return dict(lr=group['lr'], wd=group['weight_decay'],
                    momentum=self.ema.value(iteration, self.max_iters),
                    teacher_temp=self.temp.value(iteration, TINY['iters_per_epoch']))
