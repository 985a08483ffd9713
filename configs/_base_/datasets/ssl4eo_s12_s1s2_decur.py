# SSL4EO-S12 S1 GRD (VV, VH) + S2 L1C (13 bands) of the same locations, two views of each
# modality, as the official DeCUR pretraining (zhu-xlab/DeCUR, src/pretrain/pretrain_mm.py):
# eossl option: a crop view under 50 % valid (non-nodata) pixels is re-drawn (min_valid_fraction)
# - every view of every modality draws its own season (TwoCropsTransform_SSL4EO(season='augment'));
# - each band is scaled from [mean - 2 std, mean + 2 std] to [0, 1] and clipped, as the official
#   uint8 LMDB (ssl4eo_dataset.py normalize(); statistics of SSL4EO-S12, eossl band table
#   'ssl4eo_s12'), before any augmentation; the data preprocessor then leaves the values as they are;
# - S1 views: random resized crop 224 (scale 0.2-1), grayscale p=0.2, Gaussian blur p=0.5,
#   horizontal and vertical flips; S2 views add brightness/contrast 0.4 (one factor for all bands)
#   p=0.8 before the grayscale. S1 and S2 are cropped independently (separate transforms).
# Not reproduced: the uint8 rounding of the official files and of each augmentation step (and its
# wrap-around when brightness / contrast leave [0, 255]: eossl keeps float values), and its
# Solarize (p=0.2, threshold 0.5 of 255: flips only pixels that are exactly 0); the official
# contrast factor multiplies the brightness factor (eossl draws it on its own).
data_root = 'data/ssl4eo-s12'
S1_BANDS = 's1_grd'
S2_BANDS = 's2_l1c'
# (mean, std) per band: the official S1_MEAN/S1_STD, S2C_MEAN/S2C_STD (eossl band table)
TWO_SIGMA_STATS = ('ssl4eo_s12:s1_grd', 'ssl4eo_s12:s2_l1c')
crop_size = 224
num_views = 2
# the image of each view: 's1' / 's2' (view 0) and 's1/1' / 's2/1' (view 1), each the season
# SSL4EOS12Pairs drew for that view, all on the 264 px grid of the 10 m bands
sources = {(m if v == 0 else f'{m}/{v}'): m for v in range(num_views) for m in ('s1', 's2')}
band_sets = dict(s1=S1_BANDS, s2=S2_BANDS)
train_pipeline = [
    dict(type='LoadPairedModalities', target_size=264,
         modalities={k: dict(bands=band_sets[m], nodata=0) for k, m in sources.items()}),
    *[dict(type='TwoSigmaScale', stats=TWO_SIGMA_STATS, key=k) for k in sources],
    dict(type='ModalityViews', num_views=num_views, pipelines=dict(
        s1=[dict(type='EORandomResizedCrop', size=crop_size, scale=(0.2, 1.0), keys='s1',
                min_valid_fraction=0.5),
            dict(type='RandomGrayscaleEO', prob=0.2, keys='s1'),
            dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=0.5, keys='s1'),
            dict(type='EORandomFlip', prob=0.5, direction=('horizontal', 'vertical'), keys='s1')],
        s2=[dict(type='EORandomResizedCrop', size=crop_size, scale=(0.2, 1.0), keys='s2',
                min_valid_fraction=0.5),
            dict(type='RandomBandBrightnessContrast', brightness=0.4, contrast=0.4, prob=0.8,
                 per_band=False, keys='s2'),
            dict(type='RandomGrayscaleEO', prob=0.2, keys='s2'),
            dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=0.5, keys='s2'),
            dict(type='EORandomFlip', prob=0.5, direction=('horizontal', 'vertical'),
                 keys='s2')])),
    dict(type='PackEOInputs', keys=('s1', 's2'), meta_keys=('sample_id', 'seasons')),
]
train_dataloader = dict(
    batch_size=64,  # per GPU; 4 GPUs -> 256
    num_workers=10,
    persistent_workers=True,
    pin_memory=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='SSL4EOS12Pairs', data_root=data_root,
                 modalities=dict(s1=S1_BANDS, s2c=S2_BANDS), num_views=num_views,
                 season_draw='per_view', check_files=False, skip_invalid=True,
                 pipeline=train_pipeline))
