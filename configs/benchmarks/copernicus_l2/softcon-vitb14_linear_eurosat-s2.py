# Copernicus-Bench level-2 eurosat-s2 (OA), frozen SoftCon ViT-B/14 (S2 weights,
# official B13_vitb14_softcon.pth converted with eossl-softcon-to-eossl): the protocol of linear_vitb14.py
# with lr 0.1. Published (Copernicus-Bench/results/README.md): 96.7 (3 runs).
#   eossl-softcon-to-eossl B13_vitb14_softcon.pth checkpoints/softcon_vitb14_s2_backbone.pth --prefix backbone.
#   eossl-train configs/benchmarks/copernicus_l2/softcon-vitb14_linear_eurosat-s2.py
_base_ = ['./_base_/linear_vitb14.py']

data_root = 'data/copernicus_bench/eurosat_s2'
BANDS = 's2_l1c'
TWO_SIGMA_STATS = dict(bands=BANDS, mean=
    [1353.7, 1117.2, 1041.8, 946.5, 1199.1, 2003.0, 2374.0, 2301.2, 2599.7, 732.1, 12.1, 1820.6,
     1118.2],
    std=
    [897.3, 736.0, 684.8, 620.0, 791.9, 1341.3, 1595.4, 1545.5, 1750.1, 475.1, 98.3, 1216.5,
     736.7])
lr = 0.1
img_size = 224
checkpoint = 'checkpoints/softcon_vitb14_s2_backbone.pth'


def _pipeline(train: bool) -> list:
    steps = [dict(type='eossl.LoadMultiBandImage', modality='s2', bands=BANDS,
                  target_size=img_size),
             dict(type='eossl.TwoSigmaScale', stats=TWO_SIGMA_STATS)]
    if train:
        steps.append(dict(type='eossl.EORandomFlip', prob=0.5, direction=('horizontal', 'vertical')),)
    return steps + [dict(type='eossl.PackEOInputs', keys='img')]


# the dataset's classes, named so that class maps and --probs bands carry them
classes = ('AnnualCrop', 'Forest', 'HerbaceousVegetation', 'Highway', 'Industrial', 'Pasture',
           'PermanentCrop', 'Residential', 'River', 'SeaLake')


def _loader(split: str) -> dict:
    return dict(batch_size=_base_.batch_size, num_workers=8,
                sampler=dict(type='DefaultSampler', shuffle=split == 'train'),
                dataset=dict(type='eossl.CopernicusBenchEuroSAT', data_root=data_root, split=split,
                             modality='s2', pipeline=_pipeline(split == 'train'),
                             metainfo=dict(classes=classes)))


train_dataloader = _loader('train')
val_dataloader = _loader('val')
test_dataloader = _loader('test')
model = dict(
    data_preprocessor=dict(mean=[0.0] * 13, std=[1.0] * 13, bands=BANDS),
    backbone=dict(bands=BANDS, init_cfg=dict(checkpoint=checkpoint)),
    head=dict(num_classes=10),
)
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [dict(_base_.param_scheduler[0], eta_max=lr), _base_.param_scheduler[1]]
val_evaluator = [dict(type='Accuracy', topk=(1, ))]
test_evaluator = val_evaluator
