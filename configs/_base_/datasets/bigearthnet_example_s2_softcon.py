# The six real BigEarthNet v1 example patches (S2 L2A, 12 bands, 120 px; 19-class labels), two
# views each for the SoftCon CPU demo. Put them in place with
#   eossl-bigearthnet-example data/bigearthnet_example
# The snowy patch is kept (exclude_cloudy_snowy=False) so that one batch holds all six.
# eossl option: a crop view under 50 % valid (non-nodata) pixels is re-drawn (min_valid_fraction)
dataset_type = 'BigEarthNet'
data_root = 'data/bigearthnet_example'
S2_BANDS = 's2_l2a'
crop_size = 112  # 8 x 8 patches of 14 px

view_pipeline = [
    dict(type='EORandomResizedCrop', size=crop_size, scale=(0.4, 1.0), min_valid_fraction=0.5),
    dict(type='EORandomFlip', prob=0.5, direction=('horizontal', 'vertical')),
    dict(type='RandomBandBrightnessContrast', brightness=0.4, contrast=0.4, prob=0.8),
]
train_pipeline = [
    dict(type='LoadMultiBandImage', modality='s2', bands=S2_BANDS, target_size=120),
    dict(type='mmpretrain.MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackEOInputs', keys=('img', )),
]
train_dataloader = dict(
    batch_size=6,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, s2_root='BigEarthNet-S2-Example',
                 modalities=('s2', ), num_classes=19, exclude_cloudy_snowy=False,
                 pipeline=train_pipeline))
