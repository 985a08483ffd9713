# SoftCon (arXiv 2405.20462): ViT-S/14 continual pretraining on SSL4EO-S12 S2 L1C (13 bands),
# starting from DINOv2 ViT-S/14, with SSL4EO-S12-ML soft targets and Siamese masking.
# Published: DINOv2-style ViT-S/14 at 224 px (257 position tokens, LayerScale 1e-5, no
# registers), output = normed CLS token, RGB-initialized first layer, ~100 epochs on 4 GPUs;
# linear probe BigEarthNet-10 % mAP 85.0, EuroSAT 97.1.
# Assumed here (the official pretraining code is unreleased): batch 4 x 64, AdamW 1.5e-4 with
# 10 warm-up epochs and cosine decay, weight decay 0.1, MoCo-v3 3-layer projector to 256-d,
# tau = 0.2, mask ratio 0.5, drop-path 0.1, z-scored bands (SSL4EO-S12 statistics).
# Needs the local DINOv2 file checkpoints/dinov2_vits14_pretrain.pth (nothing is downloaded);
# its R, G, B kernels go to B4, B3, B2, the other bands get their mean (all scaled by 3/13).
_base_ = [
    '../_base_/datasets/ssl4eo_s12_s2_softcon.py',
    '../_base_/schedules/softcon_vit_adamw_100e.py',
    '../_base_/default_runtime.py',
]

S2_BANDS = 's2_l1c'
arch = 'small'  # the neck's input width follows the backbone
rgb_checkpoint = 'checkpoints/dinov2_vits14_pretrain.pth'

model = dict(
    type='SoftCon',
    num_classes=9,  # Dynamic World
    mask_ratio=0.5,
    data_preprocessor=dict(type='eossl.EODataPreprocessor', stats='ssl4eo_s12:s2_l1c',
                           bands=S2_BANDS),
    backbone=dict(
        type='EOVisionTransformer', arch=arch, bands=S2_BANDS, img_size=224, patch_size=14,
        layer_scale_init_value=1e-5, num_register_tokens=0, drop_path_rate=0.1,
        out_type='cls_token',
        init_cfg=dict(type='RGBInflatedPretrained', checkpoint=rgb_checkpoint,
                      strategy='copy', fill='mean')),
    neck=dict(type='mmpretrain.NonLinearNeck', hid_channels=4096,
              out_channels=256, num_layers=3, with_bias=False, with_last_bn=True,
              with_last_bn_affine=False, with_last_bias=False, with_avg_pool=False),
    head=dict(type='SoftContrastiveHead',
              loss=dict(type='SoftContrastiveLoss', temperature=0.2, symmetric=True,
                        target='cosine_rownorm', unlabeled='infonce')),
)

default_hooks = dict(checkpoint=dict(type='ResumableCheckpointHook', interval=10, max_keep_ckpts=3))
