# EuroSAT-MS (Helber et al. 2019): 64 px Sentinel-2 L1C patches, 13 bands, 10 classes, resized
# to 224 px. The files store B8A last; loading by band name returns the product order below.
# Splits: the common 16,200 / 5,400 / 5,400 lists (eurosat-{train,val,test}.txt, one
# '<Class>_<n>' name per line, any extension) placed in data_root.
# eossl option: a crop view under 50 % valid (non-nodata) pixels is re-drawn (min_valid_fraction)
data_root = 'data/EuroSAT_MS'
classes = ('AnnualCrop', 'Forest', 'HerbaceousVegetation', 'Highway', 'Industrial', 'Pasture',
           'PermanentCrop', 'Residential', 'River', 'SeaLake')  # EuroSAT's class folders
S2_BANDS = 's2_l1c'
img_size = 224

train_pipeline = [
    dict(type='eossl.LoadMultiBandImage', modality='s2', bands=S2_BANDS),
    dict(type='eossl.EORandomResizedCrop', size=img_size, scale=(0.5, 1.0),
         min_valid_fraction=0.5),
    dict(type='eossl.EORandomFlip', prob=0.5, direction=('horizontal', 'vertical')),
    dict(type='eossl.PackEOInputs', keys='img'),
]
test_pipeline = [
    dict(type='eossl.LoadMultiBandImage', modality='s2', bands=S2_BANDS),
    dict(type='eossl.EOResize', size=img_size),
    dict(type='eossl.PackEOInputs', keys='img'),
]


def _loader(split: str, pipeline: list, shuffle: bool) -> dict:
    return dict(batch_size=64, num_workers=4, sampler=dict(type='DefaultSampler', shuffle=shuffle),
                dataset=dict(type='eossl.EuroSAT', data_root=data_root,
                             split_file=f'eurosat-{split}.txt', pipeline=pipeline, metainfo=dict(classes=classes)))


train_dataloader = _loader('train', train_pipeline, True)
val_dataloader = _loader('val', test_pipeline, False)
test_dataloader = _loader('test', test_pipeline, False)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
val_cfg = dict()
test_cfg = dict()

# the backbone and the head's in_channels come from the recipe
model = dict(
    type='eossl.EOImageClassifier',
    data_preprocessor=dict(type='eossl.EOClsDataPreprocessor', stats='eurosat:s2_l1c',
                           bands=S2_BANDS),
    head=dict(type='LinearClsHead', num_classes=10, loss=dict(type='CrossEntropyLoss')),
)
