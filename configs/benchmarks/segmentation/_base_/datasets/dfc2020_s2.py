# DFC2020 land-cover segmentation from Sentinel-2 (13-band L1C, 256 px): the high-resolution
# maps in 8 classes (Savanna and Snow/Ice pixels, which never occur, and anything else outside
# the legend are ignore_index 255). Trained on the 986 'validation' patches with random 224 px
# crops and flips, tested on the 5,128 'test' patches whole; there is no third split, so
# nothing is validated during training (tools/test.py reports mIoU at the end).
# eossl option: a crop view under 50 % valid (non-nodata) pixels is re-drawn (min_valid_fraction)
data_root = 'data/dfc2020'
classes = ('Forest', 'Shrubland', 'Grassland', 'Wetland', 'Cropland', 'Urban/Built-up', 'Barren',
           'Water')  # the DFC2020 legend (eossl.datasets.land_cover.DFC2020_CLASSES)
S2_BANDS = 's2_l1c'
num_classes = 8
crop_size = 224

train_pipeline = [
    dict(type='eossl.LoadMultiBandImage', modality='s2', bands=S2_BANDS),
    dict(type='eossl.LoadLandCoverMap', modality='dfc', label_map='dfc2020'),
    dict(type='eossl.EORandomCrop', size=crop_size, keys=('img', 'gt_seg_map'),
         min_valid_fraction=0.5),
    dict(type='eossl.EORandomFlip', prob=0.5, direction=('horizontal', 'vertical'),
         keys=('img', 'gt_seg_map')),
    dict(type='eossl.PackEOSegInputs'),
]
test_pipeline = [
    dict(type='eossl.LoadMultiBandImage', modality='s2', bands=S2_BANDS),
    dict(type='eossl.LoadLandCoverMap', modality='dfc', label_map='dfc2020'),
    dict(type='eossl.PackEOSegInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=4, sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='eossl.DFC2020', data_root=data_root, split='validation',
                 modalities=('s2', 'dfc'), pipeline=train_pipeline, metainfo=dict(classes=classes)))
test_dataloader = dict(
    batch_size=8, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='eossl.DFC2020', data_root=data_root, split='test',
                 modalities=('s2', 'dfc'), pipeline=test_pipeline, metainfo=dict(classes=classes)))
# eossl.PerClassIoUMetric: mmseg's IoUMetric that also reports IoU.<class> (into metrics.json)
test_evaluator = dict(type='eossl.PerClassIoUMetric', iou_metrics=['mIoU'], ignore_index=255)
test_cfg = dict(type='TestLoop')

# the recipe wires it in: model = dict(data_preprocessor=_base_.data_preprocessor, ...)
# (SSL4EO-S12 L1C statistics: DFC2020 publishes none, and its S2 is L1C too)
data_preprocessor = dict(type='eossl.EOSegDataPreprocessor', stats='ssl4eo_s12:s2_l1c',
                         bands=S2_BANDS, seg_pad_val=255)
