# MP-MAE (MMEarth, ECCV 2024): ConvNeXt V2-atto, all 12 modalities, uncertainty weighting,
# 112 px crops, patch 16.
# Other variants by --cfg-options, e.g. femto / pico / nano:
#   model.backbone.arch=pico   (the decoder's and heads' input widths follow the backbone)
# the original ConvNeXt V2 stem: model.backbone.stem_type=convnextv2
# per-sample GRN statistics (dense-model semantics): model.backbone.grn_stats=sample
_base_ = [
    '../_base_/datasets/mmearth_all_112.py',
    '../_base_/schedules/mpmae_adamw_200e.py',
    '../_base_/default_runtime.py',
]

# pretext heads, official MMEarth semantics (models/fcmae.py) by default: NaN pixels of S2/S1/
# ASTER/canopy targets count as 0 (the z-scored mean), per-patch mean then mean over masked
# patches (S2 normalized per patch: norm_pix_loss); image-level values one flat mean over the
# batch's valid entries; image-level heads share one LayerNorm; classification skips label -1;
# official init (FCMAE _init_weights). eossl options, one key each:
#   model.heads.<target>.loss.nan_mode=skip     skip NaN pixels instead of zero-filling them
#   model.heads.<lat|lon|month|era5>.loss.reduction=row   mean per sample, then over samples
#   model.image_norm=per_head                   one LayerNorm per image-level head
#   LoadMMEarthSample(strict_onehot=True)       a non-one-hot biome/eco_region is ignored, not 0
heads = dict(
    sentinel2=dict(type='PixelRegressionHead', out_channels=12,
                   loss=dict(type='MaskedMSELoss', norm_per_patch=True)),
    sentinel1=dict(type='PixelRegressionHead', out_channels=8),
    aster=dict(type='PixelRegressionHead', out_channels=2),
    canopy_height_eth=dict(type='PixelRegressionHead', out_channels=2),
    dynamic_world=dict(type='PixelClassificationHead', num_classes=9),
    esa_worldcover=dict(type='PixelClassificationHead', num_classes=11),
    biome=dict(type='ImageLevelHead', out_channels=14,
               loss=dict(type='MaskedCrossEntropyLoss')),
    eco_region=dict(type='ImageLevelHead', out_channels=846,
                    loss=dict(type='MaskedCrossEntropyLoss')),
    lat=dict(type='ImageLevelHead', out_channels=2),
    lon=dict(type='ImageLevelHead', out_channels=2),
    month=dict(type='ImageLevelHead', out_channels=2),
    era5=dict(type='ImageLevelHead', out_channels=12),
)

model = dict(
    type='MPMAE',
    # data already z-scored by the dataset; the pretext targets are collated once per batch
    data_preprocessor=dict(type='EODataPreprocessor', collate_fields=tuple(heads)),
    backbone=dict(
        type='ConvNeXtV2FCMAE',
        arch='atto',
        in_channels=12,  # S2 L1C/L2A without B10, in L1C order
        patch_size=16,  # 112 px / 16 px patches -> 7x7 mask grid = last-stage grid
        stem_type='mmearth',  # 3x3 conv + LN + GELU, then depthwise stride 2 + LN
        drop_zero_pixels=True,  # all-zero (nodata) pixels inactive, as MinkowskiEngine's to_sparse
        grn_stats='batch',  # GRN norm over the active sites of the whole batch, as MinkowskiGRN
        out_indices=(3, ),
        out_norm=False),
    neck=dict(type='FCMAEDecoder', embed_dim=512, depth=1),  # in_channels: the backbone's
    heads=heads,
    mask_ratio=0.6,
    input_key='sentinel2',
    # learned uncertainty weighting: sum_k exp(-s_k) L_k + s_k, s_k init 0
    loss_weighting=dict(type='UncertaintyWeighting'),
)
