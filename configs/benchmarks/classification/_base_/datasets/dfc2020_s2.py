# DFC2020 scene classification from Sentinel-2 (13-band L1C, 256 px, random / centre 224 px
# crops): the single label of a patch is the majority class of its high-resolution map (the 8
# classes that occur; Savanna and Snow/Ice pixels are ignored). Trained on the 986 'validation'
# patches, evaluated on the 5,128 'test' patches; there is no third split to validate on, so
# no validation runs during training (evaluate the final checkpoint with tools/test.py).
# Multi-label scenes (every class >= 10 % of the pixels): see dual_simclr_rn50_linear_dfc2020-
# multilabel.py for the switch (scene_labels='multi', multi-label head and metrics).
# eossl option: a crop view under 50 % valid (non-nodata) pixels is re-drawn (min_valid_fraction)
data_root = 'data/dfc2020'
classes = ('Forest', 'Shrubland', 'Grassland', 'Wetland', 'Cropland', 'Urban/Built-up', 'Barren',
           'Water')  # the DFC2020 legend (eossl.datasets.land_cover.DFC2020_CLASSES)
S2_BANDS = 's2_l1c'
crop_size = 224

train_pipeline = [
    dict(type='eossl.LoadMultiBandImage', modality='s2', bands=S2_BANDS),
    dict(type='eossl.EORandomCrop', size=crop_size, min_valid_fraction=0.5),
    dict(type='eossl.EORandomFlip', prob=0.5, direction=('horizontal', 'vertical')),
    dict(type='eossl.PackEOInputs', keys='img'),
]
test_pipeline = [
    dict(type='eossl.LoadMultiBandImage', modality='s2', bands=S2_BANDS),
    dict(type='eossl.EOCenterCrop', size=crop_size),
    dict(type='eossl.PackEOInputs', keys='img'),
]

train_dataloader = dict(
    batch_size=64, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='eossl.DFC2020', data_root=data_root, split='validation',
                 modalities=('s2', ), scene_labels='single', pipeline=train_pipeline,
                 metainfo=dict(classes=classes)))
test_dataloader = dict(
    batch_size=64, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='eossl.DFC2020', data_root=data_root, split='test', modalities=('s2', ),
                 scene_labels='single', pipeline=test_pipeline,
                 metainfo=dict(classes=classes)))
test_evaluator = dict(type='Accuracy', topk=(1, ))
test_cfg = dict()

model = dict(
    type='eossl.EOImageClassifier',
    # SSL4EO-S12 L1C statistics: DFC2020 publishes none, and its S2 is L1C too
    data_preprocessor=dict(type='eossl.EOClsDataPreprocessor', stats='ssl4eo_s12:s2_l1c',
                           bands=S2_BANDS),
    head=dict(type='LinearClsHead', num_classes=8, loss=dict(type='CrossEntropyLoss')),
)
