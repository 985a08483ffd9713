# Copernicus-Bench level-2 segmentation protocol (Copernicus-Bench/src/foundation_models/
# softcon_wrapper.SoftConSegmentation, lightning_task.configure_optimizers), frozen SoftCon
# ViT-B/14 at 224 px:
# - blocks 4, 6, 10, 11 (0-based, final-normed patch tokens) -> Feature2Pyramid(rescales
#   4, 2, 1, 0.5) -> UPerHead(channels 512, pool scales 1 2 3 6, dropout 0.1) and an FCNHead
#   auxiliary (block 10, 256 channels, one conv, no input concat, loss weight 0.4); SyncBN;
# - cross-entropy averaged over the labelled pixels (ignore 255);
# - AdamW lr 1e-3 (torch defaults: weight decay 0.01, betas (0.9, 0.999) with beta1 driven by
#   OneCycle's cycle_momentum: 0.85 -> 0.95), OneCycleLR per iteration, cosine, no warm-up;
# - 50 epochs, batch 16.
_base_ = ['../../segmentation/_base_/default_runtime.py']

img_size = 224
epochs = 50
batch_size = 16
embed_dims = 768
checkpoint = 'checkpoints/softcon_vitb14_backbone.pth'
norm_cfg = dict(type='SyncBN', requires_grad=True)

model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='eossl.EOSegDataPreprocessor', seg_pad_val=255),
    backbone=dict(type='eossl.EOVisionTransformer', arch='base', patch_size=14,
                  img_size=img_size, layer_scale_init_value=1e-5, out_type='featmap',
                  out_indices=(4, 6, 10, 11),
                  init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=dict(type='Feature2Pyramid', embed_dim=embed_dims, rescales=[4, 2, 1, 0.5],
              norm_cfg=norm_cfg),
    decode_head=dict(type='UPerHead', in_channels=[embed_dims] * 4, in_index=[0, 1, 2, 3],
                     pool_scales=(1, 2, 3, 6), channels=512, dropout_ratio=0.1,
                     norm_cfg=norm_cfg, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                      loss_weight=1.0, avg_non_ignore=True)),
    auxiliary_head=dict(type='FCNHead', in_channels=embed_dims, in_index=2, channels=256,
                        num_convs=1, concat_input=False, dropout_ratio=0.1, norm_cfg=norm_cfg,
                        align_corners=False,
                        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                         loss_weight=0.4, avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
# the encoder is frozen: only neck and heads learn
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-3, betas=(0.85, 0.999),
                                    weight_decay=0.01),
                     paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.0,
                                                                      decay_mult=0.0)}))
param_scheduler = [
    dict(type='OneCycleLR', eta_max=1e-3, pct_start=0.0, anneal_strategy='cos', div_factor=25,
         final_div_factor=1e4, by_epoch=True, begin=0, end=epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', eta_min=0.95, by_epoch=True, begin=0, end=epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'], ignore_index=255)
test_evaluator = val_evaluator
find_unused_parameters = True
