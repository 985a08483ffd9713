# DeCUR (Wang et al., ECCV 2024; zhu-xlab/DeCUR, src/pretrain/pretrain_mm.py and
# scripts/pretrain/ssl4eo_s12/srun_train_rn50_decur_mm.sh): multimodal S1/S2 pretraining on
# SSL4EO-S12 that decouples the common and unique dimensions of a Barlow-Twins cross-correlation.
# Official setup: one ResNet-50 per modality (S1 VV/VH, S2 L1C 13 bands), each started from
# torchvision's ImageNet weights with a new, randomly initialized conv1 (no fc); one projector
# 2048 -> 8192 -> 8192 -> 8192 (Linear without bias, BN, ReLU) shared by both modalities; 7168 of
# the 8192 dimensions common; lambda 0.0051; SyncBN; 4 GPUs x batch 64; 100 epochs; fp16 autocast
# (add --amp). Released weights: rn50_ssl4eo-s12_{sar,ms}_decur_ep100.pth (also in torchgeo as
# ResNet50_Weights.SENTINEL1_GRD_DECUR / SENTINEL2_ALL_DECUR): eossl names decur_rn50_s1 / _s2.
# Optimizer as the official script RUNS it: its test `'vit' or 'mit' in args.backbone or args.rda`
# is always true, so ResNet runs use AdamW (not the LARS defined beside it) with lr 0.05 for
# weights and 0.0048 for 1-d parameters (BN weights and biases), weight decay 1e-6 on both,
# cosine decay set once per epoch, no warm-up.
# Needs a local torchvision ResNet-50 ImageNet state dict at rgb_checkpoint (IMAGENET1K_V1, as
# torchvision's pretrained=True). zero_init_residual=False: the loaded last BN of each block stays.
_base_ = [
    '../_base_/datasets/ssl4eo_s12_s1s2_decur.py',
    '../_base_/default_runtime.py',
]

S1_BANDS = _base_.S1_BANDS
S2_BANDS = _base_.S2_BANDS
rgb_checkpoint = 'checkpoints/resnet50_imagenet.pth'
imagenet_init = dict(type='RGBInflatedPretrained', checkpoint=rgb_checkpoint, strategy='random',
                     drop_prefixes=('fc.', ))

model = dict(
    type='DeCUR',
    # the pipeline already scales every band to [0, 1] (TwoSigmaScale): identity here
    data_preprocessor=dict(
        type='eossl.EODataPreprocessor',
        mean=dict(s1=[0.0] * 2, s2=[0.0] * 13),
        std=dict(s1=[1.0] * 2, s2=[1.0] * 13)),
    s1_backbone=dict(type='EOResNet', depth=50, bands=S1_BANDS, out_indices=(3, ),
                     zero_init_residual=False, norm_cfg=dict(type='SyncBN'),
                     init_cfg=imagenet_init),
    s2_backbone=dict(type='EOResNet', depth=50, bands=S2_BANDS, out_indices=(3, ),
                     zero_init_residual=False, norm_cfg=dict(type='SyncBN'),
                     init_cfg=imagenet_init),
    # in_channels is the backbones' feature width (filled by DeCUR)
    neck=dict(type='mmpretrain.NonLinearNeck', hid_channels=8192, out_channels=8192,
              num_layers=3, with_bias=False, with_last_bn=False, with_avg_pool=True,
              norm_cfg=dict(type='SyncBN')),
    shared_neck=True,
    head=dict(type='DeCURHead', loss=dict(type='DeCURLoss', dim_common=7168, lambd=0.0051)),
)

max_epochs = 100
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.05, weight_decay=1e-6),
    constructor='eossl.MergedGroupsOptimWrapperConstructor',
    # the official 1-d parameters: every BatchNorm of the backbones and the projector
    paramwise_cfg=dict(custom_keys={'.bn': dict(lr_mult=0.0048 / 0.05),
                                    'downsample.1': dict(lr_mult=0.0048 / 0.05)}))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0.0, by_epoch=True, begin=0,
         end=max_epochs),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=256, enable=False)
default_hooks = dict(checkpoint=dict(type='ResumableCheckpointHook', interval=10, max_keep_ckpts=3))
