# DeCUR CPU demo: ResNet-18 per modality on the six real BigEarthNet v1 example pairs (S1 VV/VH,
# S2 L2A 12 bands, 120 px; extract them with tools/dataset_converters/bigearthnet_example.py):
# 30 iterations, a few minutes on 2 CPU cores; loss terms and checkpoints land in the work dir.
# Not the published setup (see decur_rn50_s1s2_100e_ssl4eo.py): ResNet-18, a 512-d projector
# (448 common dimensions, the official 7/8), z-scored bands, 96 px crops, AdamW at lr 1e-3 so
# that the loss visibly drops in 30 steps, BatchNorm instead of SyncBN.
_base_ = [
    '../_base_/datasets/bigearthnet_example_s1s2.py',
    '../_base_/default_runtime.py',
]

S1_BANDS = _base_.S1_BANDS
S2_BANDS = _base_.S2_BANDS
crop = dict(type='EORandomResizedCrop', size=96, scale=(0.2, 1.0), min_valid_fraction=0.5)
flip = dict(type='EORandomFlip', prob=0.5, direction=('horizontal', 'vertical'))
train_pipeline = [
    _base_.train_pipeline[0],  # LoadPairedModalities: S1 and S2 on the 120 px grid
    dict(type='ModalityViews', num_views=2, pipelines=dict(
        s1=[dict(crop, keys='s1'), dict(type='RandomGrayscaleEO', prob=0.2, keys='s1'),
            dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=0.5, keys='s1'),
            dict(flip, keys='s1')],
        s2=[dict(crop, keys='s2'),
            dict(type='RandomBandBrightnessContrast', brightness=0.4, contrast=0.4, prob=0.8,
                 per_band=False, keys='s2'),
            dict(type='RandomGrayscaleEO', prob=0.2, keys='s2'),
            dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=0.5, keys='s2'),
            dict(flip, keys='s2')])),
    dict(type='PackEOInputs', keys=('s1', 's2')),
]

model = dict(
    type='DeCUR',
    data_preprocessor=dict(type='eossl.EODataPreprocessor',
                           stats=dict(s1='bigearthnet:s1_grd', s2='bigearthnet:s2_l2a'),
                           bands=dict(s1=S1_BANDS, s2=S2_BANDS)),
    s1_backbone=dict(type='EOResNet', depth=18, bands=S1_BANDS, out_indices=(3, )),
    s2_backbone=dict(type='EOResNet', depth=18, bands=S2_BANDS, out_indices=(3, )),
    neck=dict(type='mmpretrain.NonLinearNeck', hid_channels=512, out_channels=512,
              num_layers=3, with_bias=False, with_last_bn=False, with_avg_pool=True,
              norm_cfg=dict(type='BN1d')),
    head=dict(type='DeCURHead', loss=dict(type='DeCURLoss', dim_common=448, lambd=0.0051)),
)

# all six pairs in one batch: one iteration per epoch
train_dataloader = dict(batch_size=6, dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3,
                                                         weight_decay=1e-6))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=30)

default_hooks = dict(checkpoint=dict(type='ResumableCheckpointHook', interval=10, max_keep_ckpts=2),
                     logger=dict(type='LoggerHook', interval=1))
