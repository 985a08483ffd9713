# Copernicus-Bench level-2 bigearthnet-s1 (mAP), frozen SoftCon ViT-B/14 (S1 weights,
# official B2_vitb14_softcon.pth converted with eossl-softcon-to-eossl): the protocol of linear_vitb14.py
# with lr 1. Published (Copernicus-Bench/results/README.md): 78.7 (3 runs).
#   eossl-softcon-to-eossl B2_vitb14_softcon.pth checkpoints/softcon_vitb14_s1_backbone.pth --prefix backbone.
#   eossl-train configs/benchmarks/copernicus_l2/softcon-vitb14_linear_bigearthnet-s1.py
_base_ = ['./_base_/linear_vitb14.py']

data_root = 'data/copernicus_bench/bigearthnet_s1s2'
BANDS = 's1_grd'
TWO_SIGMA_STATS = dict(VV=(-12.548, 5.257), VH=(-20.192, 5.912))
lr = 1.0
img_size = 224
checkpoint = 'checkpoints/softcon_vitb14_s1_backbone.pth'


def _pipeline(train: bool) -> list:
    steps = [dict(type='eossl.LoadMultiBandImage', modality='s1', bands=BANDS,
                  target_size=img_size),
             dict(type='eossl.TwoSigmaScale', stats=TWO_SIGMA_STATS)]
    if train:
        steps.append(dict(type='eossl.EORandomFlip', prob=0.5, direction=('horizontal', 'vertical')),)
    return steps + [dict(type='eossl.PackEOInputs', keys='img')]


# the dataset's classes, named so that class maps and --probs bands carry them
classes = ('Urban fabric', 'Industrial or commercial units', 'Arable land', 'Permanent crops',
           'Pastures', 'Complex cultivation patterns',
           'Land principally occupied by agriculture, with significant areas of natural vegetation',
           'Agro-forestry areas', 'Broad-leaved forest', 'Coniferous forest', 'Mixed forest',
           'Natural grassland and sparsely vegetated areas',
           'Moors, heathland and sclerophyllous vegetation', 'Transitional woodland, shrub',
           'Beaches, dunes, sands', 'Inland wetlands', 'Coastal wetlands', 'Inland waters',
           'Marine waters')


def _loader(split: str) -> dict:
    return dict(batch_size=_base_.batch_size, num_workers=8,
                sampler=dict(type='DefaultSampler', shuffle=split == 'train'),
                dataset=dict(type='eossl.CopernicusBenchBigEarthNet', data_root=data_root, split=split,
                             modality='s1', pipeline=_pipeline(split == 'train'),
                             metainfo=dict(classes=classes)))


train_dataloader = _loader('train')
val_dataloader = _loader('val')
test_dataloader = _loader('test')
model = dict(
    data_preprocessor=dict(mean=[0.0] * 2, std=[1.0] * 2, bands=BANDS),
    backbone=dict(bands=BANDS, init_cfg=dict(checkpoint=checkpoint)),
    head=dict(type='MultiLabelLinearClsHead', num_classes=19, in_channels=768,
              loss=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
)
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [dict(_base_.param_scheduler[0], eta_max=lr), _base_.param_scheduler[1]]
val_evaluator = [dict(type='AveragePrecision')]
test_evaluator = val_evaluator
