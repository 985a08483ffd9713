# SoftCon (arXiv 2405.20462): ViT-B/14 continual pretraining on SSL4EO-S12 S1 GRD (VV, VH),
# from DINOv2 ViT-B/14; everything else as the ViT-S/14 recipe. Published linear probe
# BigEarthNet-10 % mAP 82.5, EuroSAT-SAR 89.1.
# Needs the local DINOv2 file checkpoints/dinov2_vitb14_pretrain.pth (nothing is downloaded).
_base_ = ['softcon_vits14_s1_100e_ssl4eo.py']

model = dict(
    backbone=dict(arch='base',
                  init_cfg=dict(checkpoint='checkpoints/dinov2_vitb14_pretrain.pth')),
)
