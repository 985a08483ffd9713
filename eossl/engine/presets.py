"""Debug presets of the training command: ``eossl-train RECIPE --preset cpu-tiny``.

``cpu-tiny`` turns a pretraining recipe into a run of seconds on a laptop CPU: the recipe's own
pipeline, model and hooks at tiny widths and image sizes, two epochs, batch 2, data loaded in
the main process, a log line and a checkpoint every epoch. When the recipe's ``data_root`` does
not exist, a tiny fake dataset in the recipe's exact on-disk layout is generated under
``<work_dir>/generated_data`` (:mod:`eossl.testing`) and the run reads it, so "try PerA on my
laptop" is ``eossl-train eossl::pera_vits.py --preset cpu-tiny``. ``--cfg-options`` still apply
after the preset. Methods are recognised by ``model.type``; see :data:`CPU_TINY`.
"""
import os.path as osp
from collections.abc import Callable

from mmengine.config import Config

PRESETS = ('cpu-tiny', )

COMMON = {'train_cfg.max_epochs': 2, 'default_hooks.logger.interval': 1,
          'default_hooks.checkpoint.interval': 1, 'train_dataloader.batch_size': 2,
          'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
          'train_dataloader.pin_memory': False}
TINY_VIT = dict(embed_dims=32, num_layers=2, num_heads=2, _delete_=True)


def _fake_ssl4eo(root: str) -> str:
    from eossl.testing import make_fake_ssl4eo_s12
    make_fake_ssl4eo_s12(root, num_locations=4, seasons=2, size=48, modalities=('s2c', ))
    return root


def _fake_mmearth(root: str) -> str:
    from eossl.testing import make_fake_mmearth
    return str(make_fake_mmearth(root, num_samples=6, size=32))


def _fake_sen12ms(root: str) -> str:
    from eossl.testing import make_fake_sen12ms
    make_fake_sen12ms(root, num_patches=4, size=128, modalities=('s1', 's2'))
    return root


# model.type → (overrides, fake-data generator writing under a folder and returning data_root)
CPU_TINY: dict[str, tuple[dict, Callable[[str], str]]] = {
    'PerA': ({'train_dataloader.dataset.pipeline.0.target_size': 48,
              'train_dataloader.dataset.pipeline.1.num_local': 2,
              'train_dataloader.dataset.pipeline.1.global_crop.size': 32,
              'train_dataloader.dataset.pipeline.1.local_crop.size': 16,
              'train_dataloader.dataset.pipeline.2.patch_size': 8,
              'model.num_local': 2, 'model.backbone.arch': TINY_VIT, 'model.backbone.img_size': 32,
              'model.backbone.patch_size': 8, 'model.head.in_channels': 32,
              'model.head.num_prototypes': 64, 'model.head.hidden_channels': 32,
              'model.head.bottleneck_channels': 16, 'model.pixel_head.in_channels': 32,
              'model.pixel_head.patch_size': 8, 'model.pixel_head.hidden_channels': 32,
              'model.pixel_head.bottleneck_channels': 16}, _fake_ssl4eo),
    'SoftCon': ({'train_dataloader.dataset.pipeline.0.target_size': 48,
                 'train_dataloader.dataset.pipeline.1.transforms': [[
                     dict(type='EORandomResizedCrop', size=32, scale=(0.2, 1.0)),
                     dict(type='EORandomFlip', prob=0.5, direction=('horizontal', 'vertical'))]],
                 'model.backbone.arch': TINY_VIT, 'model.backbone.img_size': 32,
                 'model.backbone.patch_size': 8, 'model.backbone.init_cfg': None,
                 'model.neck.in_channels': 32, 'model.neck.hid_channels': 64,
                 'model.neck.out_channels': 16}, _fake_ssl4eo),
    'MPMAE': ({'train_dataloader.dataset.pipeline.1.size': 32,
               'model.backbone.arch': dict(depths=[1, 1, 1, 1], channels=[8, 8, 16, 16],
                                           _delete_=True),
               'model.neck.in_channels': 16, 'model.neck.embed_dim': 16,
               'model.heads.sentinel2.in_channels': 16}, _fake_mmearth),
    'DualSimCLR': ({'model.s1_backbone.depth': 18, 'model.s2_backbone.depth': 18,
                    **{f'model.{m}_neck.{k}': 512 for m in ('s1', 's2')
                       for k in ('in_channels', 'hid_channels')}}, _fake_sen12ms),
}


def apply_preset(cfg: Config, name: str) -> Config:
    """Apply preset ``name`` to ``cfg`` (in place; after ``merge_cli_args`` set the work dir,
    before the command's ``--cfg-options`` are merged again by the caller)."""
    if name not in PRESETS:
        raise KeyError(f'--preset {name}: unknown preset; available: {", ".join(PRESETS)}')
    method = str(cfg.model.get('type', '')).split('.')[-1]
    if method not in CPU_TINY:
        raise KeyError(f'--preset {name}: no preset for model.type={method!r} '
                       f'({cfg.filename}); presets exist for {", ".join(CPU_TINY)}')
    overrides, generate = CPU_TINY[method]
    cfg.merge_from_dict({**COMMON, **overrides})
    dataset = cfg.train_dataloader.dataset
    recipe_root = str(dataset.get('data_root', ''))
    if not osp.isdir(recipe_root):
        dataset.data_root = generate(osp.join(cfg.work_dir, 'generated_data'))
        print(f'--preset {name}: data_root {recipe_root!r} does not exist; training on '
              f'generated data in {dataset.data_root}')
    return cfg
