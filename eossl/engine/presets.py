"""Debug presets of the training command: ``eossl-train RECIPE --preset cpu-tiny``.

``cpu-tiny`` turns a pretraining recipe into a run of seconds on a laptop CPU: the recipe's own
pipeline, model and hooks at tiny widths and image sizes, two epochs, batch 2, data loaded in
the main process, a log line and a checkpoint every epoch. When the recipe's ``data_root`` does
not exist, a tiny fake dataset in the recipe's exact on-disk layout is generated once under
``<work_dir>/generated_data`` (:mod:`eossl.engine.preset_data`) and the run reads it, so "try
PerA on my laptop" is ``eossl-train eossl::pera_vits.py --preset cpu-tiny``. ``--cfg-options``
still apply after the preset.

The sizes are the method's own: the recipe's algorithm class (``model.type``) gives its
overrides at CPU size ``'tiny'`` (``cpu_overrides``, :mod:`eossl.models.selfsup.cpu_sizes`), so a
new method brings its preset with its class. What a method changes beyond sizes it names, each
printed when applied (e.g. a ViT keeps a width of its own per size, :data:`TINY_VIT_WIDTH`:
ViT-S → 32, ViT-B → 48, ..., so the ViT-S and ViT-B recipes stay two models; RGB-initialised
backbones start from random weights; MP-MAE trains at its recipe's base lr, constant). The
preset itself sets the run (:data:`COMMON`), loads tiles at the generated data's size and draws
4 windows per epoch from a scene recipe instead of its 100,000.
"""
import os.path as osp

from mmengine.config import Config

from eossl.models.selfsup.cpu_sizes import TINY_VIT_WIDTH, apply_cpu_size

from .preset_data import SIZE, generated_data_root

PRESETS = ('cpu-tiny', )
__all__ = ['PRESETS', 'TINY_VIT_WIDTH', 'apply_preset']

COMMON = {'train_cfg.max_epochs': 2, 'default_hooks.logger.interval': 1,
          'default_hooks.checkpoint.interval': 1, 'train_dataloader.batch_size': 2,
          'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
          'train_dataloader.pin_memory': False}
# dataset type → overrides of the dataset, whether its data is generated or the user's
DATASET_OVERRIDES = {'SceneWindows': {'size': SIZE, 'windows_per_epoch': 4}}


def _loading_sizes(pipeline: list) -> dict[str, int]:
    """``target_size`` of every loading step that resamples to one: the generated tiles' size."""
    return {f'train_dataloader.dataset.pipeline.{i}.target_size': SIZE
            for i, step in enumerate(pipeline) if step.get('target_size')}


def apply_preset(cfg: Config, name: str) -> Config:
    """Apply preset ``name`` to ``cfg`` (in place; after ``merge_cli_args`` set the work dir,
    before the command's ``--cfg-options`` are merged again by the caller)."""
    if name not in PRESETS:
        raise KeyError(f'--preset {name}: unknown preset; available: {", ".join(PRESETS)}')
    try:
        notes = apply_cpu_size(cfg, 'tiny')
    except (KeyError, NotImplementedError) as error:
        raise type(error)(f'--preset {name}: {error.args[0]}') from error
    cfg.merge_from_dict({**COMMON, **_loading_sizes(cfg.train_dataloader.dataset.pipeline)})
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
