# SEN12MS S1 + S2 pairs for Dual-SimCLR (Scheibenreif et al.): no augmentation besides a random
# crop; S1 clipped to [-25, 0] dB then +25, S2 clipped to [0, 10000], then the crop, then each
# view's bands are divided by their own maximum (over the crop, as the official DFCDataset). The
# crop offset is drawn as np.random.randint(0, 256 - size): never the last one (last_offset). Samples with NaN raise InvalidSampleError in the loader and are
# skipped and counted (skip_invalid), as the official code skips them.
# eossl option: a crop view under 50 % valid (non-nodata) pixels is re-drawn (min_valid_fraction)
data_root = 'data/sen12ms'

S1_BANDS = 's1_grd'
S2_BANDS = 's2_l1c'

train_pipeline = [
    dict(type='LoadPairedModalities',
         modalities=dict(s1=dict(bands=S1_BANDS), s2=dict(bands=S2_BANDS))),
    dict(type='ClipValues', keys='s1', min=-25.0, max=0.0, offset=25.0),
    dict(type='ClipValues', keys='s2', min=0.0, max=10000.0),
    dict(type='EORandomCrop', size=128, keys=('s1', 's2'), min_valid_fraction=0.5,
         last_offset=False),
    dict(type='PerSampleMaxNormalize', keys=('s1', 's2')),
    dict(type='PackEOInputs', keys=('s1', 's2')),
]

train_dataloader = dict(
    batch_size=200,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='SEN12MS', data_root=data_root, modalities=('s1', 's2'),
                 skip_invalid=True, pipeline=train_pipeline),
)
