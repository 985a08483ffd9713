# PerA (arXiv 2505.19447, official SathShen/PerA) with a ViT-S/16 on SSL4EO-S12 S2 L1C, 13 bands.
# Each crop slot yields a student and a teacher view of the same pixels (strong vs weak per-band
# jitter); the student encodes 20 % of the patches, the EMA teacher a disjoint 60 %, and the
# student predicts the pixels of the 20 % in between from mask tokens joined at block depth // 2.
#
# Data: LoadMultiBandImage (13 L1C bands) → AlignedMultiViews (crops and jitter from the base:
# global 224 px, scale 0.4–1; local 96 px, scale 0.05–0.4; h/v flips; RandomBandBrightnessContrast
# p=0.8 student / p=0.1 teacher) with this recipe's 2 global + 8 local slots →
# DisjointMaskGenerator (this recipe's patch 16, student 0.2 / teacher 0.6) → PackEOInputs.
# The slot counts and the patch size are one variable each for the model and the pipeline; the
# heads' widths and the pixel head's patch size are filled from the backbone.
#
# Model and schedule are the official ones (Networks/PerA/pera.py, Utils/loss/pera_loss,
# Configs/pera_vitb.yaml): no LayerScale, batch-subset drop path 0.3 in every student block,
# pixel targets = the normalized crop's patches (no per-patch normalization), squared error summed
# over a patch and averaged over patches, weight 0.01.
# eossl choice for multispectral input: the views' photometry is the band-safe per-band
# brightness / contrast (RandomBandBrightnessContrast, official factor ranges and p=0.8 / 0.1);
# the official ColorJitter's saturation, hue and grayscale are defined for RGB only (the RGB
# official recipe pera_vitb16_rgb_200e_official.py uses them: RandomRGBColorJitter).
# eossl options, one key each:
#   model.pixel_head.loss.norm_per_patch=True     per-patch standardized targets (pera_*_normpix.py)
#   model.backbone.drop_path_mode=mask            per-sample Bernoulli drop path (dense branch)
#   model.backbone.interpolate_offset=None        size-exact position-embedding resampling
#   train_dataloader.dataset.pipeline.1.batch_augment='auto' (base default): with CUDA the views
#       are cut / flipped / jittered for the whole batch in the data preprocessor on the GPU
#       (same per-sample draws); without CUDA the official per-sample CPU path (False), because
#       on a CPU-only machine the batch path only moves the same work into the training process
_base_ = [
    '../_base_/datasets/ssl4eo_s12_s2_pera.py',
    '../_base_/default_runtime.py',
]

S2_BANDS = 's2_l1c'
arch = 'small'
num_global, num_local, patch_size = 2, 8, 16
student_ratio, teacher_ratio = 0.2, 0.6  # official PerA mask ratios

train_pipeline = [
    _base_.train_pipeline[0],
    dict(_base_.train_pipeline[1], num_global=num_global, num_local=num_local),
    dict(type='DisjointMaskGenerator', patch_size=patch_size, num_global=num_global,
         student_ratio=student_ratio, teacher_ratio=teacher_ratio),
    *_base_.train_pipeline[2:],
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    type='PerA',
    num_global=num_global,
    num_local=num_local,
    teacher_temp=0.05,  # warmed up from 0.03 by TeacherTempWarmupHook below
    # index sets collated once per batch (pinned, non-blocking copy), not in the model step;
    # with the data option batch_augment=True the views are cut here (aligned_views)
    data_preprocessor=dict(type='eossl.EODataPreprocessor', stats='ssl4eo_s12:s2_l1c',
                           bands=S2_BANDS, collate_fields=('disjoint_masks', ),
                           aligned_views='aligned_views', non_blocking=True),
    backbone=dict(type='EOVisionTransformer', arch=arch, bands=S2_BANDS, img_size=224,
                  patch_size=patch_size, layer_scale_init_value=None, drop_path_rate=0.3,
                  drop_path_uniform=True),
    head=dict(type='DINOProjectionHead', num_prototypes=131072,
              hidden_channels=2048, bottleneck_channels=384, num_layers=3,
              loss=dict(type='CenteredCrossEntropyLoss', student_temp=0.1, center_momentum=0.9),
              koleo_loss=dict(type='KoLeoLoss', loss_weight=0.1)),
    # official reduction: squared error summed over a patch's p²·C values, weight 0.01; with 13
    # bands this term is 13/3 times its RGB size (loss_weight=0.01 * 3 / 13 keeps the RGB balance)
    # official targets: the normalized pixels themselves (norm_per_patch=False)
    pixel_head=dict(type='PixelPredictionHead', out_channels=13, hidden_channels=2048, bottleneck_channels=384,
                    num_layers=3, sum_over_pixels=True,
                    loss=dict(type='MaskedMSELoss', norm_per_patch=False, loss_weight=0.01)),
)

# schedule (official): AdamW, lr warm-up 20 epochs to 1e-3 then cosine to 1e-6, weight decay
# cosine 0.04 → 0.2, grad clip 3.0, 200 epochs; add --amp for mixed precision
max_epochs, warmup_epochs = 200, 20
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), eps=2e-5, weight_decay=0.04),
    clip_grad=dict(max_norm=3.0))
param_scheduler = [
    # the official warm-up starts at 0; mmengine's LinearLR needs a positive start factor
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True),
    # weight decay 0.04 → 0.2 by a per-iteration cosine, each param group scaled from its own
    # initial value (paramwise decay_mult=0 groups stay 0); resumes with the checkpoint
    dict(type='CosineAnnealingParamScheduler', param_name='weight_decay', eta_min_ratio=0.2 / 0.04,
         T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
custom_hooks = [
    dict(type='TeacherEMAHook', momentum=0.992, end_momentum=1.0),
    dict(type='TeacherTempWarmupHook', start=0.03, end=0.05, warmup=30, by_epoch=True),
    dict(type='WeightDecayLoggerHook'),  # logs train/weight_decay of the scheduler above
]
default_hooks = dict(checkpoint=dict(type='ResumableCheckpointHook', interval=10, max_keep_ckpts=3))
# TF32 tensor cores for the fp32 matmuls, as DINOv2's training script (PerA's code base) sets
allow_tf32 = True
randomness = dict(seed=10, diff_rank_seed=True, deterministic=False)  # seed + rank per rank
