"""Debug presets of the training command: ``eossl-train RECIPE --preset cpu-tiny``.

``cpu-tiny`` turns a pretraining recipe into a run of seconds on a laptop CPU: the recipe's own
pipeline, model and hooks at tiny widths and image sizes, two epochs, batch 2, data loaded in
the main process, a log line and a checkpoint every epoch. When the recipe's ``data_root`` does
not exist, a tiny fake dataset in the recipe's exact on-disk layout is generated once under
``<work_dir>/generated_data`` (:mod:`eossl.engine.preset_data`) and the run reads it, so "try
PerA on my laptop" is ``eossl-train eossl::pera_vits.py --preset cpu-tiny``. ``--cfg-options``
still apply after the preset. Methods are recognised by ``model.type`` (:data:`METHODS`).

What the preset changes beyond sizes, each printed when applied:

- a ViT keeps a width of its own per size (:data:`TINY_VIT_WIDTH`: ViT-S → 32, ViT-B → 48, ...),
  so the ViT-S and ViT-B recipes stay two different models;
- RGB-initialised backbones (SoftCon) start from random weights: the preset's widths cannot
  hold the published RGB checkpoint;
- MP-MAE trains at its recipe's base lr, constant: the linear batch rule would shrink it 128-fold
  at batch 2 and its 40-epoch warm-up would keep it near zero for a 2-epoch run;
- a scene recipe draws 4 windows per epoch instead of its 100,000.
"""
import os.path as osp
from collections.abc import Callable

from mmengine.config import Config

from .preset_data import SIZE, generated_data_root

PRESETS = ('cpu-tiny', )

COMMON = {'train_cfg.max_epochs': 2, 'default_hooks.logger.interval': 1,
          'default_hooks.checkpoint.interval': 1, 'train_dataloader.batch_size': 2,
          'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
          'train_dataloader.pin_memory': False}
# each ViT size of a recipe → the width of its tiny stand-in (2 layers, 2 heads)
TINY_VIT_WIDTH = {'small': 32, 'base': 48, 'large': 64, 'giant': 96}
# dataset type → overrides of the dataset, whether its data is generated or the user's
DATASET_OVERRIDES = {'SceneWindows': {'size': SIZE, 'windows_per_epoch': 4}}


def tiny_vit(arch: str | dict, notes: list[str]) -> tuple[dict, int]:
    """``(arch dict, width)`` of the tiny ViT standing in for ``arch``; says so in ``notes``."""
    width = TINY_VIT_WIDTH.get(arch, 32) if isinstance(arch, str) else 32
    notes.append(f'ViT arch {arch!r} -> embed_dims {width}, 2 layers, 2 heads (each ViT size '
                 f'keeps its own width: {TINY_VIT_WIDTH})')
    return dict(embed_dims=width, num_layers=2, num_heads=2, _delete_=True), width


def _pera(cfg: Config, notes: list[str]) -> dict:
    arch, width = tiny_vit(cfg.model.backbone.get('arch', 'base'), notes)
    return {'train_dataloader.dataset.pipeline.0.target_size': SIZE,
            'train_dataloader.dataset.pipeline.1.num_local': 2,
            'train_dataloader.dataset.pipeline.1.global_crop.size': 32,
            'train_dataloader.dataset.pipeline.1.local_crop.size': 16,
            'train_dataloader.dataset.pipeline.2.patch_size': 8,
            'model.num_local': 2, 'model.backbone.arch': arch, 'model.backbone.img_size': 32,
            'model.backbone.patch_size': 8, 'model.head.in_channels': width,
            'model.head.num_prototypes': 64, 'model.head.hidden_channels': 32,
            'model.head.bottleneck_channels': 16, 'model.pixel_head.in_channels': width,
            'model.pixel_head.patch_size': 8, 'model.pixel_head.hidden_channels': 32,
            'model.pixel_head.bottleneck_channels': 16}


def _softcon(cfg: Config, notes: list[str]) -> dict:
    backbone = cfg.model.backbone
    overrides = {'train_dataloader.dataset.pipeline.0.target_size': SIZE,
                 'model.backbone.init_cfg': None}
    if backbone.get('init_cfg'):
        notes.append(f"model.backbone.init_cfg {backbone.init_cfg.get('type')} dropped: random "
                     'init (the RGB checkpoint does not fit the tiny widths)')
    if 'ResNet' in str(backbone.type):
        notes.append(f'ResNet-{backbone.get("depth")} -> ResNet-18')
        return {**overrides, 'model.backbone.depth': 18, 'model.neck.in_channels': 512,
                'model.neck.hid_channels': 64, 'model.neck.out_channels': 32,
                'train_dataloader.dataset.pipeline.1.transforms.0.0.size': 32}
    arch, width = tiny_vit(backbone.get('arch', 'base'), notes)
    crop = 2 * backbone.get('patch_size', 14)  # 2 x 2 patches
    return {**overrides, 'model.backbone.arch': arch, 'model.backbone.img_size': crop,
            'model.neck.in_channels': width, 'model.neck.hid_channels': 32,
            'model.neck.out_channels': 16,
            'train_dataloader.dataset.pipeline.1.transforms.0.0.size': crop}


def _mpmae(cfg: Config, notes: list[str]) -> dict:
    lr = cfg.optim_wrapper.optimizer.lr
    notes.append(f"ConvNeXt V2 {cfg.model.backbone.get('arch')!r} -> depths [1, 1, 1, 1], "
                 'channels [8, 8, 16, 16] (the same tiny network for every ConvNeXt size)')
    notes.append(f'lr {lr:g} constant (no batch scaling, no warm-up)')
    return {'train_dataloader.dataset.pipeline.1.size': 32,
            'model.backbone.arch': dict(depths=[1, 1, 1, 1], channels=[8, 8, 16, 16],
                                        _delete_=True),
            'model.neck.in_channels': 16, 'model.neck.embed_dim': 16,
            **{f'model.heads.{target}.in_channels': 16 for target in cfg.model.heads},
            'auto_scale_lr.enable': False, 'param_scheduler': []}


def _dual_simclr(cfg: Config, notes: list[str]) -> dict:
    if 'Swin' in str(cfg.model.s1_backbone.type):
        notes.append('Swin-T -> Swin with embed_dims 16, one block per stage, 2 x 2 windows, '
                     '64 px crops')
        swin = dict(embed_dims=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1])
        return {**{f'model.{m}_backbone.{k}': v for m in ('s1', 's2')
                   for k, v in (('arch', swin), ('img_size', 64), ('window_size', 2),
                                ('drop_path_rate', 0.0))},
                'train_dataloader.dataset.pipeline.4.size': 64}
    return {'model.s1_backbone.depth': 18, 'model.s2_backbone.depth': 18,
            **{f'model.{m}_neck.{k}': 512 for m in ('s1', 's2')
               for k in ('in_channels', 'hid_channels')}}


# model.type → the overrides of its recipes (notes: what the preset changed, printed)
METHODS: dict[str, Callable[[Config, list[str]], dict]] = {
    'PerA': _pera, 'SoftCon': _softcon, 'MPMAE': _mpmae, 'DualSimCLR': _dual_simclr}


def apply_preset(cfg: Config, name: str) -> Config:
    """Apply preset ``name`` to ``cfg`` (in place; after ``merge_cli_args`` set the work dir,
    before the command's ``--cfg-options`` are merged again by the caller)."""
    if name not in PRESETS:
        raise KeyError(f'--preset {name}: unknown preset; available: {", ".join(PRESETS)}')
    method = str(cfg.model.get('type', '')).split('.')[-1]
    if method not in METHODS:
        raise KeyError(f'--preset {name}: no preset for model.type={method!r} '
                       f'({cfg.filename}); presets exist for {", ".join(METHODS)}')
    notes: list[str] = []
    cfg.merge_from_dict({**COMMON, **METHODS[method](cfg, notes)})
    dataset = cfg.train_dataloader.dataset
    kind = str(dataset.get('type', '')).split('.')[-1]
    for key, value in DATASET_OVERRIDES.get(kind, {}).items():
        notes.append(f'train_dataloader.dataset.{key}: {dataset.get(key)} -> {value}')
        dataset[key] = value
    for note in notes:
        print(f'--preset {name}: {note}')
    recipe_root = str(dataset.get('data_root', ''))
    if not osp.isdir(recipe_root):
        dataset.data_root = generated_data_root(f'{cfg.work_dir}/generated_data', dataset)
        print(f'--preset {name}: data_root {recipe_root!r} does not exist; training on '
              f'generated data in {dataset.data_root}')
    return cfg
