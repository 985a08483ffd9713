# Copernicus-Bench level-2 dfc2020-s1 (mIoU), frozen SoftCon ViT-B/14 (S1 weights,
# official B2_vitb14_softcon.pth converted with eossl-softcon-to-eossl): the protocol of upernet_vitb14.py
# with lr 0.001. Published (Copernicus-Bench/results/README.md): 52.8 (3 runs).
#   eossl-softcon-to-eossl B2_vitb14_softcon.pth checkpoints/softcon_vitb14_s1_backbone.pth --prefix backbone.
#   eossl-train configs/benchmarks/copernicus_l2/softcon-vitb14_upernet_dfc2020-s1.py
_base_ = ['./_base_/upernet_vitb14.py']

data_root = 'data/copernicus_bench/dfc2020_s1s2'
BANDS = 's1_grd'
TWO_SIGMA_STATS = dict(VV=(-12.548, 5.257), VH=(-20.192, 5.912))
lr = 0.001
img_size = 224
checkpoint = 'checkpoints/softcon_vitb14_s1_backbone.pth'


def _pipeline(train: bool) -> list:
    steps = [dict(type='eossl.LoadMultiBandImage', modality='s1', bands=BANDS),
             dict(type='eossl.TwoSigmaScale', stats=TWO_SIGMA_STATS),
             dict(type='eossl.LoadLandCoverMap', modality='dfc', label_map='dfc2020'),
             dict(type='eossl.EOResize', size=img_size, keys=('img', )),
             dict(type='eossl.EOResize', size=img_size, keys=('gt_seg_map', ),
                  resample='nearest')]
    if train:
        steps.append(dict(type='eossl.EORandomFlip', prob=0.5, direction=('horizontal', 'vertical'),
         keys=('img', 'gt_seg_map')),)
    return steps + [dict(type='eossl.PackEOSegInputs')]


# the dataset's classes, named so that class maps and --probs bands carry them
classes = ('Forest', 'Shrubland', 'Grassland', 'Wetland', 'Cropland', 'Urban/Built-up', 'Barren',
           'Water')


def _loader(split: str) -> dict:
    return dict(batch_size=_base_.batch_size, num_workers=8,
                sampler=dict(type='DefaultSampler', shuffle=split == 'train'),
                dataset=dict(type='eossl.CopernicusBenchDFC2020', data_root=data_root, split=split,
                             modality='s1', pipeline=_pipeline(split == 'train'),
                             metainfo=dict(classes=classes)))


train_dataloader = _loader('train')
val_dataloader = _loader('val')
test_dataloader = _loader('test')
model = dict(
    data_preprocessor=dict(mean=[0.0] * 2, std=[1.0] * 2, bands=BANDS,
                           seg_pad_val=255),
    backbone=dict(bands=BANDS, init_cfg=dict(checkpoint=checkpoint)),
    decode_head=dict(num_classes=8),
    auxiliary_head=dict(num_classes=8),
)
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [dict(_base_.param_scheduler[0], eta_max=lr), _base_.param_scheduler[1]]
