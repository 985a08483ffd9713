# SoftCon (arXiv 2405.20462): ResNet-50 continual pretraining on SSL4EO-S12 S2 L1C (13 bands),
# starting from RGB ImageNet weights, with SSL4EO-S12-ML soft targets.
# Published: torchvision ResNet-50 with a 13-band conv1 and no fc (2048-d pooled output),
# RGB-initialized, ~100 epochs on 4 GPUs; linear probe BigEarthNet-10 % mAP 84.8, EuroSAT 98.6.
# Assumed here (the official pretraining code is unreleased): the SSL4EO-S12 MoCo-v2 ResNet-50
# settings of the same group — batch 4 x 64, SGD lr 0.03 with cosine decay, momentum 0.9,
# weight decay 1e-4, 2-layer projector 2048 -> 2048 -> 128, tau = 0.2; z-scored bands.
# Needs a local torchvision-layout ResNet-50 state dict (ImageNet or DINO) at rgb_checkpoint;
# its fc is dropped, R, G, B kernels go to B4, B3, B2, the other bands get their mean (all
# scaled by 3/13). zero_init_residual=False: the loaded last BN of each block must stay.
_base_ = [
    '../_base_/datasets/ssl4eo_s12_s2_softcon.py',
    '../_base_/default_runtime.py',
]

S2_BANDS = 's2_l1c'
rgb_checkpoint = 'checkpoints/resnet50_imagenet.pth'

model = dict(
    type='SoftCon',
    num_classes=9,  # Dynamic World
    mask_ratio=0.0,  # Siamese masking is for ViTs
    data_preprocessor=dict(type='eossl.EODataPreprocessor', stats='ssl4eo_s12:s2_l1c',
                           bands=S2_BANDS),
    backbone=dict(
        type='EOResNet', depth=50, bands=S2_BANDS, out_indices=(3, ), zero_init_residual=False,
        init_cfg=dict(type='RGBInflatedPretrained', checkpoint=rgb_checkpoint, strategy='copy',
                      fill='mean', drop_prefixes=('fc.', ))),
    neck=dict(type='mmpretrain.MoCoV2Neck', hid_channels=2048,
              out_channels=128, with_avg_pool=False),
    head=dict(type='SoftContrastiveHead',
              loss=dict(type='SoftContrastiveLoss', temperature=0.2, symmetric=True,
                        target='cosine_rownorm', unlabeled='infonce')),
)

max_epochs = 100
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0.0, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=256, enable=False)
default_hooks = dict(checkpoint=dict(type='ResumableCheckpointHook', interval=10, max_keep_ckpts=3))
