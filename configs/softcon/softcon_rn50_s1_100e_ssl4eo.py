# SoftCon (arXiv 2405.20462): ResNet-50 continual pretraining on SSL4EO-S12 S1 GRD (VV, VH),
# starting from RGB ImageNet weights, with SSL4EO-S12-ML soft targets.
# Published: torchvision ResNet-50 with a 2-band conv1 and no fc (2048-d pooled output),
# ~100 epochs on 4 GPUs; linear probe BigEarthNet-10 % mAP 78.9, EuroSAT-SAR 87.1. SAR has no
# RGB counterpart: conv1 is drawn at random, every other weight loads unchanged.
# Assumed here (the official pretraining code is unreleased): the SSL4EO-S12 MoCo-v2 ResNet-50
# settings of the same group — batch 4 x 64, SGD lr 0.03 with cosine decay, momentum 0.9,
# weight decay 1e-4, 2-layer projector 2048 -> 2048 -> 128, tau = 0.2; z-scored dB.
# Needs a local torchvision-layout ResNet-50 state dict (ImageNet or DINO) at rgb_checkpoint.
_base_ = [
    '../_base_/datasets/ssl4eo_s12_s1_softcon.py',
    '../_base_/default_runtime.py',
]

S1_BANDS = 's1_grd'
rgb_checkpoint = 'checkpoints/resnet50_imagenet.pth'

model = dict(
    type='SoftCon',
    num_classes=9,  # Dynamic World
    mask_ratio=0.0,  # Siamese masking is for ViTs
    data_preprocessor=dict(type='eossl.EODataPreprocessor', stats='ssl4eo_s12:s1_grd',
                           bands=S1_BANDS),
    backbone=dict(
        type='EOResNet', depth=50, bands=S1_BANDS, out_indices=(3, ), zero_init_residual=False,
        init_cfg=dict(type='RGBInflatedPretrained', checkpoint=rgb_checkpoint,
                      strategy='random', drop_prefixes=('fc.', ))),
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
