# MMEarth 128 px tiles (data_1M_128), random 112 px crops, S2 only
# (the input and the only reconstruction target).
# Every modality is z-scored with the dataset's own _band_stats.json by LoadMMEarthSample; the
# data preprocessor then only batches and turns NaN (nodata) in the encoder input into 0, while
# targets keep NaN / -1 so the losses skip nodata. Global batch 4096 = 8 GPUs x 512.
# eossl option: a crop view under 50 % valid (non-nodata) pixels is re-drawn (min_valid_fraction)
dataset_type = 'MMEarth'
data_root = 'data/mmearth/data_1M_128'
crop_size = 112
modalities = ['sentinel2']
pixel_modalities = ['sentinel2']

train_pipeline = [
    dict(type='LoadMMEarthSample', modalities=modalities),
    # one crop box for every pixel modality, so targets stay aligned with the S2 input
    dict(type='EORandomCrop', size=crop_size, keys=pixel_modalities, min_valid_fraction=0.5),
    dict(type='PackEOInputs', keys='sentinel2', algorithm_keys=modalities,
         meta_keys=('sample_id', )),
]
train_dataloader = dict(
    batch_size=512,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    # the pretext targets are stacked into tensors in the workers, not pickled per sample
    collate_fn=dict(type='eossl.collate_in_workers', fields=modalities),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 pipeline=train_pipeline))
