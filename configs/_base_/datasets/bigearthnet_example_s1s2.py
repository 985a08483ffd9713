# The six real BigEarthNet v1 S1/S2 example pairs (extract them with
# eossl-bigearthnet-example): S1 VV/VH and the 12 S2 L2A bands, all on the
# 120 x 120 grid of the 10 m bands; no augmentation (Dual-SimCLR's positive pair is S1_i <-> S2_i).
data_root = 'data/bigearthnet_example'

S1_BANDS = 's1_grd'
S2_BANDS = 's2_l2a'

train_pipeline = [
    dict(type='LoadPairedModalities', target_size=120,
         modalities=dict(s1=dict(bands=S1_BANDS), s2=dict(bands=S2_BANDS))),
    dict(type='PackEOInputs', keys=('s1', 's2')),
]

train_dataloader = dict(
    batch_size=6,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='BigEarthNet', data_root=data_root, s2_root='BigEarthNet-S2-Example',
                 s1_root='BigEarthNet-S1-Example', modalities=('s1', 's2'),
                 exclude_cloudy_snowy=False, keep_unlabeled=True, pipeline=train_pipeline),
)
