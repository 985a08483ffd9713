# SSL4EO-S12 S2 L1C (13 bands) for PerA: per crop slot one geometric transform shared by the
# student and teacher views (global 224 px, local 96 px crops), strong band-safe jitter for the
# student (p=0.8), weak for the teacher (p=0.1). The method's own settings — crop slot counts and
# the DisjointMaskGenerator (patch size, mask ratios) after AlignedMultiViews — sit in the PerA
# recipe (pera/pera_vits16_s2_200e_ssl4eo.py).
# eossl option: a crop view under 50 % valid (non-nodata) pixels is re-drawn (min_valid_fraction)
# batch_augment (AlignedMultiViews, pipeline.1): 'auto' (default) = True with CUDA: workers only
# load the tile and draw the per-sample parameters, the data preprocessor cuts / flips / jitters
# the batch on the GPU (same draws and arithmetic, equal within 1e-4); False without CUDA: the
# official per-sample path (views cut and jittered on the CPU in the workers). Force one with
#   --cfg-options train_dataloader.dataset.pipeline.1.batch_augment=False (or True)
# Index sets and view parameters are stacked into tensors in the workers (collate_in_workers).
data_root = 'data/ssl4eo-s12'

S2_BANDS = 's2_l1c'

train_pipeline = [
    dict(type='LoadMultiBandImage', modality='s2', bands=S2_BANDS, out_key='img',
         target_size=264),
    dict(type='AlignedMultiViews',
         global_crop=dict(type='EORandomResizedCrop', size=224, scale=(0.4, 1.0),
                          ratio=(0.75, 1.33), min_valid_fraction=0.5),
         local_crop=dict(type='EORandomResizedCrop', size=96, scale=(0.05, 0.4),
                         ratio=(0.75, 1.33), min_valid_fraction=0.5),
         flip=dict(type='EORandomFlip', prob=0.5, direction=('horizontal', 'vertical')),
         student_pipeline=[dict(type='RandomBandBrightnessContrast', brightness=0.4,
                                contrast=0.4, prob=0.8)],
         teacher_pipeline=[dict(type='RandomBandBrightnessContrast', brightness=0.4,
                                contrast=0.4, prob=0.1)],
         batch_augment='auto'),
    dict(type='PackEOInputs', keys='img', algorithm_keys=('disjoint_masks', 'aligned_views'),
         meta_keys=('sample_id', )),
]

train_dataloader = dict(
    batch_size=64,  # per GPU; the official global batch is not published
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='eossl.collate_in_workers', fields=('disjoint_masks', 'aligned_views')),
    dataset=dict(type='SSL4EOS12', data_root=data_root, modality='s2c', seasons='random',
                 check_files=False, skip_invalid=True, pipeline=train_pipeline),
)
