# SEN12MS land-cover segmentation from Sentinel-2 (13-band L1C, 256 px) against the MODIS IGBP
# map (band 'IGBP' of the lc file, ~500 m resampled to 10 m) merged into the 8 DFC2020 classes
# (savannas and snow ignored, label 255). Splits: the SEN12MS repository's
# splits/train_list.txt and test_list.txt, placed in data_root/splits.
# eossl option: a crop view under 50 % valid (non-nodata) pixels is re-drawn (min_valid_fraction)
data_root = 'data/sen12ms'
S2_BANDS = 's2_l1c'
num_classes = 8
# = eossl.datasets.land_cover.DFC2020_CLASSES (mmseg's IoUMetric reads the class names)
classes = ('Forest', 'Shrubland', 'Grassland', 'Wetland', 'Cropland', 'Urban/Built-up', 'Barren',
           'Water')
crop_size = 224

label_map = dict(type='eossl.LoadLandCoverMap', modality='lc', band='IGBP',
                 label_map='sen12ms_igbp')
train_pipeline = [
    dict(type='eossl.LoadMultiBandImage', modality='s2', bands=S2_BANDS),
    label_map,
    dict(type='eossl.EORandomCrop', size=crop_size, keys=('img', 'gt_seg_map'),
         min_valid_fraction=0.5),
    dict(type='eossl.EORandomFlip', prob=0.5, direction=('horizontal', 'vertical'),
         keys=('img', 'gt_seg_map')),
    dict(type='eossl.PackEOSegInputs'),
]
test_pipeline = [
    dict(type='eossl.LoadMultiBandImage', modality='s2', bands=S2_BANDS),
    label_map,
    dict(type='eossl.PackEOSegInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=8, sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='eossl.SEN12MS', data_root=data_root, modalities=('s2', 'lc'),
                 split_file='splits/train_list.txt', metainfo=dict(classes=classes),
                 pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=8, num_workers=8, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='eossl.SEN12MS', data_root=data_root, modalities=('s2', 'lc'),
                 split_file='splits/test_list.txt', metainfo=dict(classes=classes),
                 pipeline=test_pipeline))
# eossl.PerClassIoUMetric: mmseg's IoUMetric that also reports IoU.<class> (into metrics.json)
test_evaluator = dict(type='eossl.PerClassIoUMetric', iou_metrics=['mIoU'], ignore_index=255)
test_cfg = dict(type='TestLoop')

# the recipe wires it in: model = dict(data_preprocessor=_base_.data_preprocessor, ...)
data_preprocessor = dict(type='eossl.EOSegDataPreprocessor', stats='ssl4eo_s12:s2_l1c',
                         bands=S2_BANDS, seg_pad_val=255)
