# SSL4EO-S12 S2 L1C (13 bands) with SSL4EO-S12-ML labels, two views per scene for SoftCon.
# One random season per location and epoch; seasons without a Dynamic World label are left out.
# The 20 m / 60 m band files (132 / 44 px) are resampled onto the 264 px 10 m grid when loading;
# 0 is SSL4EO-S12's missing value (no nodata is declared in the files) -> NaN -> 0 after
# normalization. Photometric jitter is band-safe: per-band brightness/contrast, no hue/saturation.
# eossl option: a crop view under 50 % valid (non-nodata) pixels is re-drawn (min_valid_fraction)
dataset_type = 'SSL4EOS12'
data_root = 'data/ssl4eo-s12'
labels_file = 'ssl4eo_s12_ml_labels.json'
S2_BANDS = 's2_l1c'
crop_size = 224

view_pipeline = [
    dict(type='EORandomResizedCrop', size=crop_size, scale=(0.2, 1.0), min_valid_fraction=0.5),
    dict(type='EORandomFlip', prob=0.5, direction=('horizontal', 'vertical')),
    dict(type='RandomBandBrightnessContrast', brightness=0.4, contrast=0.4, prob=0.8),
    dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=0.5),
]
train_pipeline = [
    dict(type='LoadMultiBandImage', modality='s2', bands=S2_BANDS, target_size=264, nodata=0),
    dict(type='mmpretrain.MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackEOInputs', keys=('img', ), meta_keys=('sample_id', 'season')),
]
train_dataloader = dict(
    batch_size=64,  # per GPU; 4 GPUs -> 256
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    drop_last=True,  # a last batch of a few scenes gives a poor contrastive loss
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, modality='s2c', bands=S2_BANDS,
                 seasons='random', labels_file=labels_file, num_classes=9,
                 unlabeled='exclude', check_files=False, skip_invalid=True,
                 pipeline=train_pipeline))
