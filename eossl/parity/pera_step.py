"""Whole PerA training steps of the official ``SathShen/PerA`` code from eossl's initial weights.

The official model (``Networks/PerA/pera.py``: DINOv2 ViT student / teacher, prototype head,
pixel head, mask token) is built from ``Configs/pera_vitb.yaml`` through the official
``Utils.config``, with the sizes of :data:`eossl.testing.pera_step.TINY`. Its optimizer,
schedulers and loss come from ``Utils.builder`` and one step is the official
``PretrainFrame.optimize`` unchanged: autocast and GradScaler are CUDA-only and disable
themselves on a CPU (fp32), the DDP wrapper is replaced by an object holding ``.module``.

eossl's initial student (the shipped RGB recipe at that size) is mapped into the student and the
teacher. Randomness is pinned: one fixed batch of views (normalized by the recipe's data
preprocessor), the official mask draws (``torch.rand`` after a per-step seed, read back here by
drawing the same numbers) become the index sets given to eossl, and the drop-path subsets are the
official ``torch.randperm`` draws after a per-step seed set when the teacher forward starts
(nothing random runs between that point and the student blocks on either side). Three steps
start at iteration :data:`START` (the first after the learning-rate warm-up); the losses of every
step, the clipped gradients, parameters and EMA teacher after steps 1 and 3, the loss center and
the official per-iteration schedules are written in eossl's parameter names.
"""
import importlib
import logging
import os
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

from eossl.testing.pera_step import RECIPE, TINY, Trainer, tiny_config

from .official import arrays
from .pera_xformers import install

START, STEPS, SEED = 20, 3, 28  # iteration of the first step; steps; base seed
RECORDED = (1, 3)  # steps after which gradients, parameters and the teacher are written


def official_name(name: str) -> str | None:
    """The official ``PerA`` parameter name of an eossl ``PerA`` parameter (``None``: absent)."""
    replacements = [('teacher.module.backbone.', 'teacher.backbone.'),
                    ('teacher.module.projector.', 'teacher.cls_head.'),
                    ('backbone.', 'student.backbone.'), ('head.projector.', 'student.cls_head.'),
                    ('pixel_head.projector.mlp.', 'pred_head.mlp0.mlp.'),
                    ('pixel_head.projector.', 'pred_head.')]
    if name == 'backbone.mask_token':
        return 's_mask_token'
    if name.endswith('backbone.mask_token'):
        return None  # the official teacher has no mask token
    for old, new in replacements:
        if name.startswith(old):
            name = new + name[len(old):]
            break
    return (name.replace('parametrizations.weight.original0', 'weight_g')
            .replace('parametrizations.weight.original1', 'weight_v'))


def teacher_name(name: str) -> str | None:
    """The eossl teacher copy of a student parameter (``None``: the teacher has none)."""
    for old, new in (('backbone.', 'teacher.module.backbone.'),
                     ('head.projector.', 'teacher.module.projector.')):
        if name.startswith(old):
            return new + name[len(old):]
    return None


def _import(root: Path):
    """The official packages imported normally (their ``__init__`` runs) with the stand-ins."""
    for name in [m for m in sys.modules if m.split('.')[0] in ('Networks', 'Utils')]:
        del sys.modules[name]  # path-only packages of eossl.parity.pera
    os.environ.pop('XFORMERS_DISABLED', None)
    install()
    sys.path.insert(0, str(root))
    return (importlib.import_module('Utils.config'), importlib.import_module('Utils.builder'),
            importlib.import_module('pretrain_frame'))


def _config(config_module, root: Path):
    cfg = config_module.base_cfg.clone()
    cfg.merge_from_file(str(root / 'Configs/pera_vitb.yaml'))
    t = TINY
    cfg.AUG.GLOBAL_CROP_SIZE, cfg.AUG.LOCAL_CROP_SIZE = t['global_size'], t['local_size']
    cfg.AUG.NUM_LOCAL = t['num_local']
    cfg.NET.EMBED_DIM, cfg.NET.DEPTH, cfg.NET.NUM_HEADS = (t['embed_dims'], t['num_layers'],
                                                           t['num_heads'])
    cfg.NET.PATCH_SIZE = t['patch_size']
    cfg.NET.DINO.HEAD_OUT_DIM, cfg.NET.DINO.HEAD_HIDDEN_DIM = t['num_prototypes'], t['hidden']
    cfg.NET.DINO.HEAD_BOTTLENECK_DIM = t['bottleneck']
    cfg.DATA.BATCH_SIZE_PER_GPU = t['batch']
    return cfg


class _Wrapper(nn.Module):
    """What ``PretrainFrame.optimize`` expects of its DDP model: a call and ``.module``."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, images):
        return self.module(images)


def _load(net: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """eossl student weights → official student, teacher (its copy) and mask token."""
    params = dict(net.named_parameters())
    with torch.no_grad():
        for name, value in state.items():
            for target in (official_name(name), _official_teacher(name)):
                if target is not None:
                    params[target].copy_(value.reshape(params[target].shape))
    loaded = {official_name(n) for n in state} | {_official_teacher(n) for n in state}
    if set(params) - loaded:
        raise KeyError(f'official parameters without an eossl source: {set(params) - loaded}')


def _official_teacher(name: str) -> str | None:
    teacher = teacher_name(name)
    return None if teacher is None else official_name(teacher)


def _masks(seed: int, batch: int) -> list[dict[str, list[np.ndarray]]]:
    """The official ``mask_patch_pair_embed`` draws after ``torch.manual_seed(seed)`` as
    eossl's per-sample index sets (globals, then locals; rows are slot-major)."""
    torch.manual_seed(seed)
    out: list[dict[str, list]] = [dict(student=[], predict=[], teacher=[])
                                  for _ in range(batch)]
    for size, slots, predict in ((TINY['global_size'], 2, True),
                                 (TINY['local_size'], TINY['num_local'], False)):
        num = (size // TINY['patch_size']) ** 2
        rank = torch.argsort(torch.rand(slots * batch, num), dim=1)
        n_s, n_sp = int(round(num * 0.2)), int(round(num * (1 - 0.6)))
        for row in range(slots * batch):
            r = rank[row].numpy()
            band = np.flatnonzero((r >= n_s) & (r < n_sp)) if predict else np.zeros(0, int)
            sets = dict(student=np.flatnonzero(r < n_s), predict=band,
                        teacher=np.flatnonzero(r >= n_sp))
            for key, idx in sets.items():
                out[row % batch][key].append(idx.astype(np.int64))
    return out


def _views(batch: int) -> list[torch.Tensor]:
    """One fixed batch: student views of all slots, then teacher views, raw reflectance-like."""
    sizes = [TINY['global_size']] * 2 + [TINY['local_size']] * TINY['num_local']
    return [1500 + 1000 * torch.randn(batch, 3, s, s) for s in sizes * 2]


def whole_step(root: Path) -> dict:
    """Official whole-step reference arrays (see the module docstring)."""
    config_module, builder, frame_module = _import(root)
    cfg = _config(config_module, root)
    torch.manual_seed(SEED)
    trainer = Trainer(tiny_config(RECIPE))  # the recipe's initialization
    state = trainer.student_state()
    batch = TINY['batch']
    views = _views(batch)
    normed = trainer.model.data_preprocessor(dict(inputs=views, data_samples=None),
                                             False)['inputs']
    slots = 2 + TINY['num_local']
    images = {f'{side}_{kind}_crops': torch.cat(normed[offset + lo:offset + hi])
              for side, offset in (('S', 0), ('T', slots))
              for kind, lo, hi in (('global', 0, 2), ('local', 2, slots))}

    net = builder.build_net(cfg, is_pretrain=True)
    _load(net, state)
    frame = frame_module.PretrainFrame.__new__(frame_module.PretrainFrame)
    frame.cfg, frame.num_iter_per_epoch, frame.it = cfg, TINY['iters_per_epoch'], START
    frame.dtype, frame.logger, frame.loss_dict, frame.images = (torch.float32,
                                                                logging.getLogger(), {}, images)
    frame.clip_grad, frame.grad_accum_steps = cfg.GRADIENT_CLIPPING, cfg.GRADIENT_ACCUMULATION_STEPS
    frame.optimizer = builder.build_optimizer(cfg, net.parameters())
    frame.loss_fuc = builder.build_loss(cfg, is_pretrain=True)
    (frame.lr_scheduler, frame.wd_scheduler, frame.momentum_scheduler,
     frame.teacher_temp_scheduler, _) = builder.build_schedulers(cfg, frame.num_iter_per_epoch)
    frame.scaler = torch.cuda.amp.GradScaler()  # disabled without CUDA: plain optimizer.step
    frame.net = _Wrapper(net)

    names = {official_name(n): n for n in state} | {
        _official_teacher(n): teacher_name(n) for n in state if _official_teacher(n)}
    drop_seed, grads = [0], dict[str, torch.Tensor]()
    teacher_forward, optimizer_step = net.teacher_nogard_forward, frame.optimizer.step

    def seeded_teacher(*args):
        torch.manual_seed(drop_seed[0])
        return teacher_forward(*args)

    def recording_step(*args, **kwargs):
        grads.clear()
        grads.update({names[k]: p.grad.reshape(state[names[k]].shape).clone()
                      for k, p in net.named_parameters() if p.grad is not None})
        return optimizer_step(*args, **kwargs)

    net.teacher_nogard_forward, frame.optimizer.step = seeded_teacher, recording_step
    net.train()
    out = arrays(**{f'init/{k}': v for k, v in state.items()}, **{
        f'views/{i}': v for i, v in enumerate(views)})
    loss_fn = frame.loss_fuc
    for step in range(1, STEPS + 1):
        mask_seed, drop_seed[0] = SEED + 2 * step, SEED + 2 * step + 1
        for b, sample in enumerate(_masks(mask_seed, batch)):
            for key, sets in sample.items():
                out.update({f'step{step}/mask/{b}/{key}/{s}': v.astype(np.int16)
                            for s, v in enumerate(sets)})
        out[f'step{step}/drop_seed'] = np.array(drop_seed[0])
        torch.manual_seed(mask_seed)  # the official forward draws the masks again
        total = frame.optimize()
        parts = frame.loss_dict
        terms = loss_fn.global_loss_terms
        out.update(arrays(**{f'step{step}/loss': total,
                             f'step{step}/loss_dino': parts['local_dino_loss']
                             + parts['global_dino_loss'],
                             f'step{step}/loss_koleo': loss_fn.koleo_loss_weight
                             * parts['koleo_loss'] * terms,
                             f'step{step}/loss_pixel': loss_fn.mae_loss_weight
                             * parts['mae_loss'] * terms * 100,
                             f'step{step}/center': loss_fn.dino_loss.center}))
        frame.loss_dict = {}
        if step in RECORDED:
            params = dict(net.named_parameters())
            out.update(arrays(**{f'step{step}/grad/{k}': v for k, v in grads.items()}))
            out.update(arrays(**{f'step{step}/param/{n}': params[o].reshape(state[n].shape)
                                 for o, n in names.items() if not n.startswith('teacher.')}))
            out.update(arrays(**{f'step{step}/teacher/{n}': params[o]
                                 for o, n in names.items() if n.startswith('teacher.')}))
    iters = range(cfg.NUM_EPOCHS * TINY['iters_per_epoch'])
    out.update(arrays(**{f'schedule/{k}': [float(s[i]) for i in iters] for k, s in dict(
        lr=frame.lr_scheduler, wd=frame.wd_scheduler, momentum=frame.momentum_scheduler,
        teacher_temp=frame.teacher_temp_scheduler).items()}))
    out['start'] = np.array(START)
    return out
