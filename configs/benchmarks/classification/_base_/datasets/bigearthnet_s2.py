# BigEarthNet v1.0 S2 (Sumbul et al. 2019): 12-band Level-2A patches, 19-class multi-label,
# the official train / val / test splits without the cloudy and snowy patches. The 10/20/60 m
# bands are resampled onto one 128 px grid (divisible by 32). Low-label runs keep a seeded,
# class-stratified fraction of the training patches:
#   --cfg-options train_dataloader.dataset.label_fraction=0.1 (or 0.01)
data_root = 'data/bigearthnet'
classes = ('Urban fabric', 'Industrial or commercial units', 'Arable land', 'Permanent crops',
           'Pastures', 'Complex cultivation patterns',
           'Land principally occupied by agriculture, with significant areas of natural '
           'vegetation', 'Agro-forestry areas', 'Broad-leaved forest', 'Coniferous forest',
           'Mixed forest', 'Natural grassland and sparsely vegetated areas',
           'Moors, heathland and sclerophyllous vegetation', 'Transitional woodland, shrub',
           'Beaches, dunes, sands', 'Inland wetlands', 'Coastal wetlands', 'Inland waters',
           'Marine waters')  # BigEarthNet's 19 classes (eossl.datasets.bigearthnet.CLASSES_19)
S2_BANDS = 's2_l2a'  # L2A
img_size = 128

train_pipeline = [
    dict(type='eossl.LoadMultiBandImage', modality='s2', bands=S2_BANDS, target_size=img_size),
    dict(type='eossl.EORandomFlip', prob=0.5, direction=('horizontal', 'vertical')),
    dict(type='eossl.RandomRot90', prob=0.5),
    dict(type='eossl.PackEOInputs', keys='img'),
]
test_pipeline = [
    dict(type='eossl.LoadMultiBandImage', modality='s2', bands=S2_BANDS, target_size=img_size),
    dict(type='eossl.PackEOInputs', keys='img'),
]


def _loader(split: str, pipeline: list, shuffle: bool) -> dict:
    return dict(batch_size=64, num_workers=8, sampler=dict(type='DefaultSampler', shuffle=shuffle),
                dataset=dict(type='eossl.BigEarthNet', data_root=data_root,
                             s2_root='BigEarthNet-v1.0', modalities=('s2', ), split=split,
                             num_classes=19, pipeline=pipeline, metainfo=dict(classes=classes)))


train_dataloader = _loader('train', train_pipeline, True)
val_dataloader = _loader('val', test_pipeline, False)
test_dataloader = _loader('test', test_pipeline, False)
# mAP (macro) as the headline, and F1 / precision / recall at a 0.5 score threshold. The mAP
# averages the classes present in the evaluated set (multi-label/mAP_present; with every class
# present, as in the full test set, it equals mmpretrain's AveragePrecision); classes='all'
# gives mmpretrain's definition, absent classes scored 0 (multi-label/mAP_all)
val_evaluator = [
    dict(type='eossl.MultiLabelAveragePrecision'),
    dict(type='MultiLabelMetric', average='macro'),
    dict(type='MultiLabelMetric', average='micro'),
]
test_evaluator = val_evaluator
val_cfg = dict()
test_cfg = dict()

model = dict(
    type='eossl.EOImageClassifier',
    data_preprocessor=dict(type='eossl.EOClsDataPreprocessor', stats='bigearthnet:s2_l2a',
                           bands=S2_BANDS),
    head=dict(type='MultiLabelLinearClsHead', num_classes=19,
              loss=dict(type='CrossEntropyLoss', use_sigmoid=True)),
)
