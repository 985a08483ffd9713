# DFC2020 scene classification from paired Sentinel-1 (VV, VH) and Sentinel-2 (13-band L1C)
# for Dual-SimCLR backbones, prepared exactly as Dual-SimCLR pretrains: S1 clipped to
# [-25, 0] dB and shifted by +25, S2 clipped to [0, 10000], each sample's bands divided by
# their own maximum; the same random / centre 224 px crop on both modalities. Single label =
# majority class of the high-resolution map. Trained on 'validation', evaluated on 'test' (see
# dfc2020_s2.py).
# eossl option: a crop view under 50 % valid (non-nodata) pixels is re-drawn (min_valid_fraction)
data_root = 'data/dfc2020'
classes = ('Forest', 'Shrubland', 'Grassland', 'Wetland', 'Cropland', 'Urban/Built-up', 'Barren',
           'Water')  # the DFC2020 legend (eossl.datasets.land_cover.DFC2020_CLASSES)
S1_BANDS = 's1_grd'
S2_BANDS = 's2_l1c'
crop_size = 224

load_and_scale = [
    dict(type='eossl.LoadPairedModalities',
         modalities=dict(s1=dict(bands=S1_BANDS), s2=dict(bands=S2_BANDS))),
    dict(type='eossl.ClipValues', keys='s1', min=-25.0, max=0.0, offset=25.0),
    dict(type='eossl.ClipValues', keys='s2', min=0.0, max=10000.0),
    dict(type='eossl.PerSampleMaxNormalize', keys=('s1', 's2')),
]
train_pipeline = [
    *load_and_scale,
    dict(type='eossl.EORandomCrop', size=crop_size, keys=('s1', 's2'), min_valid_fraction=0.5),
    dict(type='eossl.EORandomFlip', prob=0.5, direction=('horizontal', 'vertical'),
         keys=('s1', 's2')),
    dict(type='eossl.PackEOInputs', keys=('s1', 's2')),
]
test_pipeline = [
    *load_and_scale,
    dict(type='eossl.EOCenterCrop', size=crop_size, keys=('s1', 's2')),
    dict(type='eossl.PackEOInputs', keys=('s1', 's2')),
]

train_dataloader = dict(
    batch_size=64, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='eossl.DFC2020', data_root=data_root, split='validation',
                 modalities=('s1', 's2'), scene_labels='single', pipeline=train_pipeline,
                 metainfo=dict(classes=classes)))
test_dataloader = dict(
    batch_size=64, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='eossl.DFC2020', data_root=data_root, split='test',
                 modalities=('s1', 's2'), scene_labels='single', pipeline=test_pipeline,
                 metainfo=dict(classes=classes)))
test_evaluator = dict(type='Accuracy', topk=(1, ))
test_cfg = dict()

model = dict(
    type='eossl.EOImageClassifier',
    # the pipeline already scales each sample to [0, 1]: no statistics here
    data_preprocessor=dict(type='eossl.EOClsDataPreprocessor'),
    head=dict(type='LinearClsHead', num_classes=8, loss=dict(type='CrossEntropyLoss')),
)
