"""eossl's training steps at the sizes ``official_cases.py`` runs the official code with.

Each case builds the method from its shipped recipe (``load_recipe`` + overrides that set only
the side-by-side sizes, and for PerA the official ViT-S without LayerScale and PerA's fused
AdamW), then times ``model.train_step(data, optim_wrapper)``: data preprocessor, forward, loss,
``parse_losses``, backward, clipping when the recipe clips, optimizer step, ``zero_grad``; plus
``update_teacher`` for PerA (what ``TeacherEMAHook`` does every iteration).

The batch is synthetic and already what the model gets after its data preprocessor (which is
replaced by mmengine's pass-through ``BaseDataPreprocessor``), as the official models get raw
tensors; per-sample fields (PerA's index sets, MP-MAE's targets) are made once, in the dtypes
and shapes the recipe's own transforms produce, and reused every step.
"""
from pathlib import Path

import numpy as np

from sizes import Case, Sizes

ROOT = Path(__file__).resolve().parents[1]
RECIPES = {
    'pera': 'configs/pera/pera_vits16_s2_200e_ssl4eo.py',
    'dual_simclr': 'configs/dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms.py',
    'mpmae': 'configs/mpmae/mpmae_convnextv2-atto_all-uncertainty_200e_mmearth-112.py',
}
RGB = ('B4', 'B3', 'B2')


def _build(recipe: str, options: dict):
    """``(cfg, model, optim_wrapper)`` of ``recipe`` with ``options`` merged in."""
    import torch
    from mmengine.logging import MMLogger
    from mmengine.model import BaseDataPreprocessor
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope

    import eossl
    from eossl.cli.launch.overrides import load_recipe
    from eossl.registry import MODELS
    eossl.register_all_modules(init_default_scope=False)
    MMLogger.get_instance('eossl-official-vs-eossl', log_level='WARNING')
    cfg = load_recipe(str(ROOT / recipe), options)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('eossl'):
        model = MODELS.build(cfg.model)
        model.init_weights()
        model.train()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.data_preprocessor = BaseDataPreprocessor()
    return cfg, model, optim_wrapper


def _config(recipe: str, options: dict, optim_wrapper, **extra) -> dict:
    opt = optim_wrapper.optimizer
    return {'repo': 'eossl', 'recipe': recipe, 'overrides': options,
            'optimizer': f'{type(opt).__name__}, {len(opt.param_groups)} groups, '
                         f'fused={opt.defaults.get("fused")} foreach={opt.defaults.get("foreach")}',
            'clip_grad': dict(optim_wrapper.clip_grad_kwargs or {}), **extra}


# --------------------------------------------------------------------------- PerA
def _pera(sizes: Sizes, bands: tuple[str, ...] | None, dense: bool) -> Case:
    import torch
    from mmpretrain.structures import DataSample

    from eossl.registry import TRANSFORMS
    ng, nl, b = 2, sizes.pera_nlocal, sizes.pera_batch
    options = {'model.num_global': ng, 'model.num_local': nl,
               'model.backbone.img_size': sizes.pera_global,
               'model.backbone.layer_scale_init_value': None,  # official PerA: no LayerScale
               'model.head.num_prototypes': sizes.pera_prototypes,
               'optim_wrapper.optimizer.fused': True}  # PerA's Utils.builder: fused AdamW
    if bands is not None:
        options.update({'model.backbone.bands': bands, 'model.data_preprocessor.bands': bands,
                        'model.pixel_head.out_channels': len(bands)})
    recipe = RECIPES['pera']
    cfg, model, ow = _build(recipe, options)
    ema = next(h for h in cfg.custom_hooks if h['type'] == 'TeacherEMAHook')['momentum']
    from eossl.datasets.bands import resolve_bands
    bands_used = resolve_bands(cfg.model.backbone.bands) or ()
    channels = len(bands_used)
    sides = [sizes.pera_global] * ng + [sizes.pera_local] * nl
    gen = torch.Generator().manual_seed(0)
    views = [torch.randn(b, channels, s, s, generator=gen) for s in sides * 2]  # student, teacher
    p = cfg.model.backbone.patch_size
    if dense:
        full = [np.arange((s // p) ** 2) for s in sides]
        sets = [{'student': full, 'predict': [np.zeros(0, np.int64)] * len(sides),
                 'teacher': full}] * b
    else:
        masking = next(t for t in cfg.train_dataloader.dataset.pipeline
                       if t['type'].endswith('DisjointMaskGenerator'))
        generator = TRANSFORMS.build(dict(masking, num_global=ng))
        np.random.seed(0)
        shapes = [np.empty((1, s, s), np.float32) for s in sides * 2]
        sets = [generator.transform({'img': shapes})['disjoint_masks'] for _ in range(b)]
    samples = [DataSample(metainfo={}) for _ in sets]
    for sample, index_sets in zip(samples, sets):
        sample.set_field(index_sets, cfg.model.get('mask_key', 'disjoint_masks'))
    data = {'inputs': views, 'data_samples': samples}

    def step():
        model.train_step(data, ow)
        model.update_teacher(ema)

    return Case(step, [model], _config(recipe, options, ow, bands=list(bands_used),
                                        ema_momentum=ema, dense=dense))


def pera(sizes: Sizes) -> Case:
    return _pera(sizes, RGB, dense=False)


def pera_dense(sizes: Sizes) -> Case:
    return _pera(sizes, RGB, dense=True)


def pera_13band(sizes: Sizes) -> Case:
    """The recipe's 13 Sentinel-2 bands: the official PerA hard-codes 3 channels."""
    return _pera(sizes, None, dense=False)


# --------------------------------------------------------------------------- Dual-SimCLR
def dual_simclr(sizes: Sizes) -> Case:
    import torch
    recipe, options = RECIPES['dual_simclr'], {}
    cfg, model, ow = _build(recipe, options)
    b, px = sizes.simclr_batch, sizes.simclr_px
    gen = torch.Generator().manual_seed(0)
    inputs = {name: torch.randn(b, len(cfg.model[f'{name}_backbone'].bands), px, px,
                                generator=gen) for name in ('s1', 's2')}
    data = {'inputs': inputs, 'data_samples': None}
    return Case(lambda: model.train_step(data, ow), [model],
                _config(recipe, options, ow, batch=b, px=px))


# --------------------------------------------------------------------------- MP-MAE
def mpmae(sizes: Sizes) -> Case:
    import torch
    from mmpretrain.structures import DataSample
    b, px = sizes.mm_batch, sizes.mm_px
    recipe = RECIPES['mpmae']
    options = {'optim_wrapper.optimizer.lr': 1.5e-4 * b / 256}  # what auto_scale_lr sets
    cfg, model, ow = _build(recipe, options)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(b, cfg.model.backbone.in_channels, px, px, generator=gen)
    rng = np.random.default_rng(0)
    samples = [DataSample(metainfo={}) for _ in range(b)]
    for sample in samples:
        for name, head in cfg.model.heads.items():
            sample.set_field(_target(head, px, rng), name)
    data = {'inputs': x, 'data_samples': samples}
    return Case(lambda: model.train_step(data, ow), [model],
                _config(recipe, options, ow, batch=b, px=px, targets=list(cfg.model.heads)))


def _target(head: dict, px: int, rng: np.random.Generator) -> np.ndarray:
    """One sample's target for ``head`` in ``LoadMMEarthSample``'s dtype and shape."""
    kind = head['type'].split('.')[-1]
    if kind == 'PixelRegressionHead':
        return rng.standard_normal((head['out_channels'], px, px), dtype=np.float32)
    if kind == 'PixelClassificationHead':
        return rng.integers(0, head['num_classes'], (1, px, px), dtype=np.int64)
    if head.get('loss', {}).get('type', '').endswith('MaskedCrossEntropyLoss'):
        return np.array(rng.integers(0, head['out_channels']), dtype=np.int64)
    return rng.standard_normal(head['out_channels'], dtype=np.float32)


BUILDERS = {'pera': pera, 'pera_dense': pera_dense, 'pera_13band': pera_13band,
            'dual_simclr': dual_simclr, 'mpmae': mpmae}


def build(case: str, sizes: Sizes) -> Case:
    """The eossl ``case`` (a key of :data:`BUILDERS`)."""
    return BUILDERS[case](sizes)
