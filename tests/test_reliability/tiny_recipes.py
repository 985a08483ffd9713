"""Recipe overrides (``--cfg-options``) that train PerA and MP-MAE in about a second per epoch
on CPU: the recipes' real pipelines, models and hooks at tiny widths and image sizes."""

PERA = 'configs/pera_vits.py'
MPMAE = 'configs/mpmae/mpmae_convnextv2-atto_s2_200e_mmearth-56.py'
# three epochs, a checkpoint and a log line each, single-process data loading (the pipeline's
# numpy draws happen in the main process, whose generator state checkpoints carry)
SHORT = {'train_cfg.max_epochs': 3, 'default_hooks.logger.interval': 1,
         'default_hooks.checkpoint.interval': 1, 'randomness.deterministic': True,
         'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
         'train_dataloader.pin_memory': False}
TINY_VIT = dict(embed_dims=32, num_layers=2, num_heads=2, _delete_=True)  # replaces 'small'


def pera_options(data_root) -> dict:
    """PerA at a few seconds per run: tiny ViT, 32/16 px crops, patch 8, 64 prototypes."""
    return {**SHORT, 'train_dataloader.dataset.data_root': str(data_root),
            'train_dataloader.batch_size': 2,
            'train_dataloader.dataset.pipeline.0.target_size': 48,
            'train_dataloader.dataset.pipeline.1.num_local': 2,
            'train_dataloader.dataset.pipeline.1.global_crop.size': 32,
            'train_dataloader.dataset.pipeline.1.local_crop.size': 16,
            'train_dataloader.dataset.pipeline.2.patch_size': 8,
            'model.num_local': 2, 'model.backbone.arch': TINY_VIT, 'model.backbone.img_size': 32,
            'model.backbone.patch_size': 8, 'model.backbone.drop_path_rate': 0.2,
            'model.head.in_channels': 32, 'model.head.num_prototypes': 64,
            'model.head.hidden_channels': 32, 'model.head.bottleneck_channels': 16,
            'model.pixel_head.in_channels': 32, 'model.pixel_head.patch_size': 8,
            'model.pixel_head.hidden_channels': 32, 'model.pixel_head.bottleneck_channels': 16,
            # warm-up and schedules within the 6 iterations, so resumed values must continue
            'custom_hooks.1.warmup': 2,
            'param_scheduler.2.T_max': 3, 'param_scheduler.2.end': 3}  # weight-decay cosine


def mpmae_options(data_root) -> dict:
    """MP-MAE with a 4-stage ConvNeXt V2 of width 8–16 on 32 px crops (4×4 mask grid)."""
    return {**SHORT, 'train_dataloader.dataset.data_root': str(data_root),
            'train_dataloader.batch_size': 2, 'train_dataloader.dataset.pipeline.1.size': 32,
            'model.backbone.arch': dict(depths=[1, 1, 1, 1], channels=[8, 8, 16, 16],
                                        _delete_=True),
            'model.neck.in_channels': 16, 'model.neck.embed_dim': 16,
            'model.heads.sentinel2.in_channels': 16}
