# Linear probe of Dual-SimCLR (ResNet-50 per modality) on DFC2020 scene classification
# (majority class, 8 classes), as the official downstream classifier: both frozen backbones'
# pooled last stages concatenated (2048 + 2048) -> a linear layer.
#   eossl-extract-backbone work_dirs/dual_simclr_rn50/epoch_200.pth \
#       checkpoints/dual_simclr_rn50_s1s2_backbone.pth          (--modality both, the default)
# Multi-label scenes: dual_simclr_rn50_linear_dfc2020-multilabel.py.
_base_ = [
    './_base_/datasets/dfc2020_s1s2.py',
    './_base_/schedules/linear_probe_100e.py',
    './_base_/default_runtime.py',
]

checkpoint = 'checkpoints/dual_simclr_rn50_s1s2_backbone.pth'

model = dict(
    freeze_backbone=True,
    backbone=dict(
        type='eossl.DualModalityBackbone',
        s1_backbone=dict(type='eossl.EOResNet', depth=50, bands=_base_.S1_BANDS,
                         out_indices=(3, )),
        s2_backbone=dict(type='eossl.EOResNet', depth=50, bands=_base_.S2_BANDS,
                         out_indices=(3, )),
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    head=dict(in_channels=4096),
)
