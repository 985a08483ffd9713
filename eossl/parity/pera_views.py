"""Draws of the official PerA view pipeline (``Utils/augmentation/augmentation.py``).

``PerAAugmentation`` of ``SathShen/PerA``, configured by the official ``Configs/pera_vitb.yaml``
(crop sizes shrunk to 32 / 16 px, which changes no random parameter), runs unchanged on a fixed
48 × 64 RGB image :data:`NUM_IMAGES` times. Its random parameters are read back by observing
the calls it makes: torchvision's ``RandomResizedCrop.get_params`` (the box), ``hflip`` /
``vflip``, ``to_grayscale`` and the ``adjust_*`` ops (their factors and order), and the
module's ``random`` draws that decide whether a branch is jittered. Per slot this gives the box,
the flips, and per branch (student, teacher) applied / grayscale flags, four factors and the op
order, written as compact arrays. A few jitter cases with their 8-bit outputs let the tests
compare the pixel arithmetic too, and per-patch counts of the official disjoint mask sets their
positions.
"""
import importlib
import random
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as F
from PIL import Image

from .official import arrays

NUM_IMAGES, HEIGHT, WIDTH, SEED = 1000, 48, 64, 28
OPS = ('adjust_brightness', 'adjust_contrast', 'adjust_saturation', 'adjust_hue')


class _RandomLog:
    """Stands for the official module's ``random``: delegates and logs every draw."""

    def __init__(self, log: list) -> None:
        self.log = log

    def random(self) -> float:
        value = random.random()
        self.log.append(('random', value))
        return value

    def uniform(self, a: float, b: float) -> float:
        value = random.uniform(a, b)
        self.log.append(('uniform', value))
        return value

    def shuffle(self, items: list) -> None:
        random.shuffle(items)


def _patched(log: list):
    """Install the observers; returns a function that removes them."""
    saved = {name: getattr(F, name) for name in (*OPS, 'hflip', 'vflip', 'to_grayscale')}
    get_params = T.RandomResizedCrop.get_params

    def observe(name):
        def call(img, *args, **kwargs):
            log.append((name, args[0] if args else None))
            return saved[name](img, *args, **kwargs)
        return call

    def crop_params(img, scale, ratio):
        box = get_params(img, scale, ratio)
        log.append(('crop', box))
        return box

    for name in saved:
        setattr(F, name, observe(name))
    T.RandomResizedCrop.get_params = staticmethod(crop_params)

    def restore():
        for name, fn in saved.items():
            setattr(F, name, fn)
        T.RandomResizedCrop.get_params = staticmethod(get_params)
    return restore


def _branch(events: list, start: int, threshold: float, gray: bool) -> tuple[int, dict]:
    """Parse one branch's events from ``start``: applied, grayscale, factors, op order."""
    out: dict = dict(applied=False, gray=False, factors=[np.nan] * 4, order=[-1] * 4)
    kind, value = events[start]
    assert kind == 'random', events[start:]
    i = start + 1
    if value >= threshold:
        return i, out
    out['applied'] = True
    if gray:
        _, value = events[i]
        i += 1
        if value < 0.1:  # the official pgray
            assert events[i][0] == 'to_grayscale'
            out['gray'] = True
            return i + 1, out
    factors = [v for _, v in events[i:i + 4]]
    i += 4
    for position in range(4):
        name, factor = events[i + position]
        op = OPS.index(name)
        out['order'][position] = op
        out['factors'][op] = factor
    assert np.allclose(sorted(out['factors']), sorted(factors))
    return i + 4, out


def _draws(aug_module, cfg) -> dict:
    """Per slot of every image: box, flips and both branches' photometry."""
    augmentation = aug_module.PerAAugmentation(cfg)
    log: list = []
    aug_module.random = _RandomLog(log)
    restore = _patched(log)
    image = Image.fromarray(np.random.default_rng(SEED).integers(
        0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8))
    rows: dict[str, list] = {k: [] for k in (
        'box', 'hflip', 'vflip', 's_applied', 's_gray', 's_factors', 's_order', 't_applied',
        't_factors', 't_order')}
    try:
        random.seed(SEED)
        torch.manual_seed(SEED)
        for _ in range(NUM_IMAGES):
            log.clear()
            augmentation(image)
            i = 0
            while i < len(log):
                assert log[i][0] == 'crop', log[i]
                rows['box'].append(log[i][1])
                i += 1
                for flip in ('hflip', 'vflip'):
                    hit = i < len(log) and log[i][0] == flip
                    rows[flip].append(hit)
                    i += hit
                i, student = _branch(log, i, 0.8, gray=True)
                i, teacher = _branch(log, i, 0.1, gray=False)
                for prefix, branch in (('s', student), ('t', teacher)):
                    for key, value in branch.items():
                        if f'{prefix}_{key}' in rows:
                            rows[f'{prefix}_{key}'].append(value)
    finally:
        restore()
        aug_module.random = random
    dtypes = dict(box=np.int16, hflip=bool, vflip=bool, s_applied=bool, s_gray=bool,
                  s_factors=np.float32, s_order=np.int8, t_applied=bool, t_factors=np.float32,
                  t_order=np.int8)
    slots = cfg.AUG.NUM_GLOBAL + cfg.AUG.NUM_LOCAL
    out = {f'draws/{k}': np.asarray(v, dtypes[k]).reshape(NUM_IMAGES, slots, *np.shape(v)[1:])
           for k, v in rows.items()}
    out['source_shape'] = np.array([HEIGHT, WIDTH])
    return out


def _pixel_cases(aug_module, cfg) -> dict:
    """Official jitter (fixed order of draws, seeded) on a small 8-bit image: the drawn
    factors and order and the output; plus the official grayscale."""
    jitter = aug_module.PerAColorJitter(cfg.AUG.INTENSITY, cfg.AUG.CONTRAST, cfg.AUG.SATURATION,
                                        cfg.AUG.HUE)
    image = Image.fromarray(np.random.default_rng(SEED + 1).integers(
        0, 256, (8, 8, 3), dtype=np.uint8))
    log: list = []
    aug_module.random = _RandomLog(log)
    restore = _patched(log)
    out = {'pixels/input': np.asarray(image)}
    try:
        random.seed(SEED + 1)
        for case in range(16):
            log.clear()
            transform = jitter.get_params(jitter.brightness, jitter.contrast, jitter.saturation,
                                          jitter.hue)
            result = transform(image)
            calls = [(OPS.index(name), v) for name, v in log if name in OPS]
            out[f'pixels/{case}/order'] = np.array([op for op, _ in calls], np.int8)
            out[f'pixels/{case}/factors'] = np.array([v for _, v in sorted(calls)], np.float32)
            out[f'pixels/{case}/output'] = np.asarray(result)
        out['pixels/gray'] = np.asarray(F.to_grayscale(image, num_output_channels=3))
    finally:
        restore()
        aug_module.random = random
    return out


def _mask_counts(root: Path, cfg) -> dict:
    """How often each patch lands in the official student / predicted / teacher set, over
    :data:`NUM_IMAGES` draws of ``PerA.mask_patch_pair_embed`` for a 32 px global and a 16 px
    local crop (patch 4). Patch indices are read back from the returned tokens: patch
    embeddings, CLS and mask token are zeroed and channel 0 of the position embedding of
    patch j is j + 1 (the crop size equals the model's, so it is used as it is)."""
    pera = importlib.import_module('Networks.PerA.pera')
    out = {}
    for kind, size in (('global', 32), ('local', 16)):
        cfg = cfg.clone()
        cfg.AUG.GLOBAL_CROP_SIZE, cfg.NET.PATCH_SIZE, cfg.NET.EMBED_DIM = size, 4, 8
        cfg.NET.DEPTH, cfg.NET.NUM_HEADS, cfg.NET.DINO.HEAD_OUT_DIM = 1, 2, 8
        model = pera.PerA(cfg)
        with torch.no_grad():
            for p in model.parameters():
                p.zero_()
            for vit in (model.student.backbone, model.teacher.backbone):
                vit.pos_embed[0, 1:, 0] = torch.arange(1, vit.pos_embed.shape[1])
        crops = torch.zeros(NUM_IMAGES, 3, size, size)
        torch.manual_seed(SEED)
        with torch.no_grad():
            s_in, t_in, l_in, _, _ = model.mask_patch_pair_embed(crops, crops, kind == 'global')
        num = (size // 4) ** 2
        for name, tokens in (('student', s_in[:, 1:]), ('teacher', t_in[:, 1:]),
                             ('predict', l_in)):
            counts = np.zeros(num, np.int64) if tokens is None else np.bincount(
                tokens[..., 0].round().long().ravel().numpy() - 1, minlength=num)
            out[f'masks/{kind}/{name}'] = counts
            out[f'masks/{kind}/{name}_size'] = np.array(
                0 if tokens is None else tokens.shape[1])
    return out


def views(root: Path) -> dict:
    """Official view-parameter draws and jitter pixel cases (see the module docstring)."""
    config = importlib.import_module('Utils.config')
    aug_module = importlib.import_module('Utils.augmentation.augmentation')
    cfg = config.base_cfg.clone()
    cfg.merge_from_file(str(root / 'Configs/pera_vitb.yaml'))
    cfg.AUG.GLOBAL_CROP_SIZE, cfg.AUG.LOCAL_CROP_SIZE = 32, 16
    out = _draws(aug_module, cfg)
    out.update(_pixel_cases(aug_module, cfg))
    out.update(_mask_counts(root, cfg))
    out.update(arrays(**{f'aug/{k}': v for k, v in dict(
        brightness=cfg.AUG.INTENSITY, contrast=cfg.AUG.CONTRAST, saturation=cfg.AUG.SATURATION,
        hue=cfg.AUG.HUE, global_scale=cfg.AUG.GLOBAL_SCALE, local_scale=cfg.AUG.LOCAL_SCALE,
        global_ratio=cfg.AUG.GLOBAL_RATIO, local_ratio=cfg.AUG.LOCAL_RATIO,
        num_global=cfg.AUG.NUM_GLOBAL, num_local=cfg.AUG.NUM_LOCAL).items()}))
    return out
