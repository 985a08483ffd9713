# Dual-SimCLR (Scheibenreif et al., CVPRW 2022), ResNet-50 per modality, SEN12MS S1/S2 pairs.
# Positive pair = S1 and S2 of the same patch (no augmentation); NT-Xent with tau 0.07.
# Speed options (eossl, same math up to float rounding): channels_last backbones and batches,
# and the fused Adam kernel (one pass over each tensor instead of ~10); see benchmarks/README.md.
_base_ = [
    '../_base_/datasets/sen12ms_s1s2.py',
    '../_base_/default_runtime.py',
]

S1_BANDS = 's1_grd'
S2_BANDS = 's2_l1c'

model = dict(
    type='DualSimCLR',
    # the pipeline already clips and max-normalizes each sample to [0, 1]: identity here
    data_preprocessor=dict(
        type='eossl.EODataPreprocessor',
        mean=dict(s1=[0.0] * 2, s2=[0.0] * 13),
        std=dict(s1=[1.0] * 2, s2=[1.0] * 13), channels_last=True),
    # zero_init_residual=False: torchvision's resnet50 (official) starts every BN at weight 1
    s1_backbone=dict(type='EOResNet', depth=50, bands=S1_BANDS, out_indices=(3, ),
                     zero_init_residual=False, channels_last=True),
    s2_backbone=dict(type='EOResNet', depth=50, bands=S2_BANDS, out_indices=(3, ),
                     zero_init_residual=False, channels_last=True),
    s1_neck=dict(type='ProjectionMLP', hid_channels=2048, out_channels=128),
    s2_neck=dict(type='ProjectionMLP', hid_channels=2048, out_channels=128),
    head=dict(type='CrossModalContrastiveHead',
              loss=dict(type='CrossModalNTXentLoss', temperature=0.07)),
)

# data: random 128 px crop of the 256 px patches; batch 200 per process (the official
# script runs on one device; the loss gathers embeddings, so k GPUs contrast 200·k pairs)
crop_size = 128
train_pipeline = [dict(step, size=crop_size) if step['type'].endswith('EORandomCrop') else step
                  for step in _base_.train_pipeline]
train_dataloader = dict(batch_size=200, dataset=dict(pipeline=train_pipeline))

# schedule: as the official script — Adam, lr held for 10 epochs, then torch's
# CosineAnnealingLR stepped once per epoch with T_max = len(train_loader) (903 batches of SEN12MS),
# so the lr decays only ~10 % over the run
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=3e-5, weight_decay=1e-4, fused=True))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=903, eta_min=0.0, by_epoch=True, begin=10, end=200),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)
auto_scale_lr = dict(base_batch_size=200, enable=False)

default_hooks = dict(checkpoint=dict(type='ResumableCheckpointHook', interval=25, max_keep_ckpts=3))
