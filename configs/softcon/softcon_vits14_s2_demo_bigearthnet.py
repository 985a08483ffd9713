# SoftCon CPU demo: ViT-S/14 on the six real BigEarthNet v1 example patches (S2 L2A, 12 bands),
# BigEarthNet 19-class labels as the soft targets, Siamese masking 0.5, 112 px views (the
# 224 px position grid is interpolated to 8 x 8). 10 iterations of one batch (1-2 min on 2 cores).
# Starts from random weights (no file needed). To start from DINOv2 as the real recipes do,
# add to the backbone: init_cfg=dict(type='RGBInflatedPretrained',
#     checkpoint='checkpoints/dinov2_vits14_pretrain.pth', strategy='copy', fill='mean')
_base_ = [
    '../_base_/datasets/bigearthnet_example_s2_softcon.py',
    '../_base_/default_runtime.py',
]

S2_BANDS = 's2_l2a'  # L2A

model = dict(
    type='SoftCon',
    num_classes=19,  # BigEarthNet nomenclature
    mask_ratio=0.5,
    data_preprocessor=dict(type='eossl.EODataPreprocessor', stats='bigearthnet:s2_l2a',
                           bands=S2_BANDS),
    backbone=dict(type='EOVisionTransformer', arch='small', bands=S2_BANDS, img_size=224,
                  patch_size=14, layer_scale_init_value=1e-5, out_type='cls_token'),
    # plain BatchNorm: the demo runs in one CPU process
    neck=dict(type='mmpretrain.NonLinearNeck', hid_channels=512,
              out_channels=128, num_layers=2, with_avg_pool=False,
              norm_cfg=dict(type='BN1d')),
    head=dict(type='SoftContrastiveHead',
              loss=dict(type='SoftContrastiveLoss', temperature=0.2, symmetric=True,
                        target='cosine_rownorm')),
)

# constant lr, larger than the recipes' so that the loss visibly moves within 10 steps
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.05))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10)
default_hooks = dict(checkpoint=dict(type='ResumableCheckpointHook', interval=5, max_keep_ckpts=1),
                     logger=dict(type='LoggerHook', interval=1))
