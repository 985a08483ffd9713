# Demo: the six real BigEarthNet v1 S1/S2 example pairs (eossl-bigearthnet-example), prepared as
# the Dual-SimCLR demo pretraining prepares them (S1 VV/VH, 12 S2 L2A bands on the 120 px grid,
# z-scored with BigEarthNet statistics), 19-class labels.
# Six patches make no split: every loader (train, val, test) reads all of them, so the numbers
# only show that the chain runs; eossl-knn-probe --query train probes them
# leave-one-out.
data_root = 'data/bigearthnet_example'
classes = ('Urban fabric', 'Industrial or commercial units', 'Arable land', 'Permanent crops',
           'Pastures', 'Complex cultivation patterns',
           'Land principally occupied by agriculture, with significant areas of natural '
           'vegetation', 'Agro-forestry areas', 'Broad-leaved forest', 'Coniferous forest',
           'Mixed forest', 'Natural grassland and sparsely vegetated areas',
           'Moors, heathland and sclerophyllous vegetation', 'Transitional woodland, shrub',
           'Beaches, dunes, sands', 'Inland wetlands', 'Coastal wetlands', 'Inland waters',
           'Marine waters')  # BigEarthNet's 19 classes (eossl.datasets.bigearthnet.CLASSES_19)
S1_BANDS = 's1_grd'
S2_BANDS = 's2_l2a'

pipeline = [
    dict(type='eossl.LoadPairedModalities', target_size=120,
         modalities=dict(s1=dict(bands=S1_BANDS), s2=dict(bands=S2_BANDS))),
    dict(type='eossl.PackEOInputs', keys=('s1', 's2')),
]
dataset = dict(type='eossl.BigEarthNet', data_root=data_root, s2_root='BigEarthNet-S2-Example',
               s1_root='BigEarthNet-S1-Example', modalities=('s1', 's2'), num_classes=19,
               exclude_cloudy_snowy=False, pipeline=pipeline, metainfo=dict(classes=classes))
train_dataloader = dict(batch_size=6, num_workers=0,
                        sampler=dict(type='DefaultSampler', shuffle=True), dataset=dataset)
val_dataloader = dict(batch_size=6, num_workers=0,
                      sampler=dict(type='DefaultSampler', shuffle=False), dataset=dataset)
val_evaluator = [dict(type='eossl.MultiLabelAveragePrecision'), dict(type='MultiLabelMetric', average='macro')]
val_cfg = dict()
# the test split is the same six pairs, so that tools/test.py runs on the demo as on a benchmark
test_dataloader = val_dataloader
test_evaluator = val_evaluator
test_cfg = dict()

model = dict(
    type='eossl.EOImageClassifier',
    data_preprocessor=dict(type='eossl.EOClsDataPreprocessor',
                           stats=dict(s1='bigearthnet:s1_grd', s2='bigearthnet:s2_l2a'),
                           bands=dict(s1=S1_BANDS, s2=S2_BANDS)),
    head=dict(type='MultiLabelLinearClsHead', num_classes=19,
              loss=dict(type='CrossEntropyLoss', use_sigmoid=True)),
)
