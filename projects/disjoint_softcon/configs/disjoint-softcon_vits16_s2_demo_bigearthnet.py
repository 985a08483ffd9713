# DisjointSoftCon CPU demo: ViT-S/16 on the six real BigEarthNet v1 example patches (S2 L2A, 12
# bands), 19-class labels as SoftCon's soft targets. Each sample gives one 112 px crop in two
# photometric versions (PerA's AlignedMultiViews); DisjointMaskGenerator gives the first
# version half of the 7 x 7 patches and the second version the other half (PerA's disjoint
# masks); SoftCon's neck, head and loss compare their CLS tokens. Only the algorithm class is
# new (this project's disjoint_softcon package); everything else is an eossl registry
# component, named in this file. Run from the repository root:
#   PYTHONPATH=. python tools/train.py \
#       projects/disjoint_softcon/configs/disjoint-softcon_vits16_s2_demo_bigearthnet.py
# eossl option: a crop view under 50 % valid (non-nodata) pixels is re-drawn (min_valid_fraction)
_base_ = ['../../../configs/_base_/default_runtime.py']
custom_imports = dict(imports=['projects.disjoint_softcon.disjoint_softcon'],
                      allow_failed_imports=False)

data_root = 'data/bigearthnet_example'
S2_BANDS = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B11', 'B12')  # L2A
patch_size, crop_size = 16, 112

train_pipeline = [
    dict(type='LoadMultiBandImage', modality='s2', bands=S2_BANDS, target_size=120),
    dict(type='AlignedMultiViews', num_global=1, num_local=0,
         global_crop=dict(type='EORandomResizedCrop', size=crop_size, scale=(0.4, 1.0),
                          min_valid_fraction=0.5),
         flip=dict(type='EORandomFlip', prob=0.5, direction=('horizontal', 'vertical')),
         student_pipeline=[dict(type='RandomBandBrightnessContrast', brightness=0.4,
                                contrast=0.4, prob=0.8)],
         teacher_pipeline=[dict(type='RandomBandBrightnessContrast', brightness=0.4,
                                contrast=0.4, prob=0.8)]),
    # student_ratio + teacher_ratio = 1: the two views split the patches, nothing is predicted
    dict(type='DisjointMaskGenerator', patch_size=patch_size, num_global=1, student_ratio=0.5,
         teacher_ratio=0.5),
    dict(type='PackEOInputs', keys='img', algorithm_keys=('disjoint_masks', ),
         meta_keys=('sample_id', )),
]
train_dataloader = dict(
    batch_size=6,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='BigEarthNet', data_root=data_root, s2_root='BigEarthNet-S2-Example',
                 modalities=('s2', ), num_classes=19, exclude_cloudy_snowy=False,
                 pipeline=train_pipeline))

model = dict(
    type='DisjointSoftCon',
    num_classes=19,
    data_preprocessor=dict(type='EODataPreprocessor', stats='bigearthnet:s2_l2a',
                           bands=S2_BANDS),
    backbone=dict(type='EOVisionTransformer', arch='small', bands=S2_BANDS, img_size=224,
                  patch_size=patch_size, layer_scale_init_value=1e-5, out_type='cls_token'),
    neck=dict(type='mmpretrain.NonLinearNeck', hid_channels=512,
              out_channels=128, num_layers=2, with_avg_pool=False, norm_cfg=dict(type='BN1d')),
    head=dict(type='SoftContrastiveHead',
              loss=dict(type='SoftContrastiveLoss', temperature=0.2, symmetric=True,
                        target='cosine_rownorm')),
)

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=5e-4,
                                                         weight_decay=0.05))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=1),
                     logger=dict(type='LoggerHook', interval=1))
