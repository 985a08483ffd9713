# Full fine-tuning of Dual-SimCLR (ResNet-50 per modality) on DFC2020 scenes: the linear-probe
# recipe with both backbones trainable, Adam 1e-4 (weight decay 1e-4), cosine decay.
_base_ = ['./dual_simclr_rn50_linear_dfc2020.py']

model = dict(freeze_backbone=False)
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-4))
