# Full fine-tuning of a ResNet-50 on EuroSAT-MS: the linear-probe recipe with a trainable
# backbone, SGD 0.01 (momentum 0.9, weight decay 1e-4) with cosine decay over 100 epochs.
_base_ = ['./rn50_linear_eurosat.py']

model = dict(freeze_backbone=False)
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
