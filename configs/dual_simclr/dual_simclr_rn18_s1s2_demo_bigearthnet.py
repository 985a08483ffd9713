# Dual-SimCLR CPU demo: ResNet-18 per modality on the six real BigEarthNet v1 example pairs
# (S1 VV/VH, S2 L2A 12 bands, 120 px): 30 iterations, a few minutes on 2 CPU cores; loss and
# checkpoints (epochs 10, 20, 30) land in the work dir.
_base_ = [
    '../_base_/datasets/bigearthnet_example_s1s2.py',
    '../_base_/default_runtime.py',
]

S1_BANDS = 's1_grd'
S2_BANDS = 's2_l2a'  # L2A

model = dict(
    type='DualSimCLR',
    data_preprocessor=dict(type='eossl.EODataPreprocessor',
                           stats=dict(s1='bigearthnet:s1_grd', s2='bigearthnet:s2_l2a'),
                           bands=dict(s1=S1_BANDS, s2=S2_BANDS)),
    s1_backbone=dict(type='EOResNet', depth=18, bands=S1_BANDS, out_indices=(3, )),
    s2_backbone=dict(type='EOResNet', depth=18, bands=S2_BANDS, out_indices=(3, )),
    s1_neck=dict(type='ProjectionMLP', hid_channels=512, out_channels=128),
    s2_neck=dict(type='ProjectionMLP', hid_channels=512, out_channels=128),
    head=dict(type='CrossModalContrastiveHead',
              loss=dict(type='CrossModalNTXentLoss', temperature=0.07)),
)

# all six pairs in one batch: one iteration per epoch
train_dataloader = dict(batch_size=6)

# constant lr, larger than the paper's 3e-5 so that the loss visibly drops within 30 steps
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=30)

default_hooks = dict(checkpoint=dict(type='ResumableCheckpointHook', interval=10, max_keep_ckpts=2),
                     logger=dict(type='LoggerHook', interval=1))
