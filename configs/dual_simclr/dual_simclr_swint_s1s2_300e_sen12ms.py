# Dual-SimCLR with Swin-T per modality (Scheibenreif et al., CVPRW 2022), SEN12MS S1/S2 pairs.
# No projection head: the pooled 768-d features enter the NT-Xent directly (tau 0.2).
_base_ = [
    '../_base_/datasets/sen12ms_s1s2.py',
    '../_base_/default_runtime.py',
]

S1_BANDS = 's1_grd'
S2_BANDS = 's2_l1c'
crop_size = 224

swin_tiny = dict(
    type='mmpretrain.SwinTransformer',
    arch=dict(embed_dims=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24]),
    img_size=crop_size, patch_size=4, window_size=7, drop_path_rate=0.1, out_indices=(3, ))

model = dict(
    type='DualSimCLR',
    # the pipeline already clips and max-normalizes each sample to [0, 1]: identity here
    data_preprocessor=dict(
        type='eossl.EODataPreprocessor',
        mean=dict(s1=[0.0] * 2, s2=[0.0] * 13),
        std=dict(s1=[1.0] * 2, s2=[1.0] * 13)),
    s1_backbone=dict(swin_tiny, in_channels=2),
    s2_backbone=dict(swin_tiny, in_channels=13),
    s1_neck=dict(type='mmpretrain.GlobalAveragePooling'),
    s2_neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(type='CrossModalContrastiveHead',
              loss=dict(type='CrossModalNTXentLoss', temperature=0.2)),
)

# data: random 224 px crop of the 256 px patches; batch 50 per process (the official
# script runs on one device; the loss gathers embeddings, so k GPUs contrast 50·k pairs)
train_pipeline = [dict(step, size=crop_size) if step['type'].endswith('EORandomCrop') else step
                  for step in _base_.train_pipeline]
train_dataloader = dict(batch_size=50, dataset=dict(pipeline=train_pipeline))

# schedule (official backbone_config.json): AdamW 5e-4 without weight decay, 20 warm-up epochs
# from 5e-7, cosine to 5e-6, gradient clipping at 5.0, 300 epochs
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=20,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=280, eta_min=5e-6, by_epoch=True, begin=20, end=300,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=300)
auto_scale_lr = dict(base_batch_size=50, enable=False)

default_hooks = dict(checkpoint=dict(type='ResumableCheckpointHook', interval=50, max_keep_ckpts=3))
