# PerA ViT-B/16 as the official pera_vitb.yaml: RGB input, 2 global 448 px crops (scale 0.4–1)
# and 8 local 96 px crops (scale 0.05–0.4), photometric jitter p=0.8 student / p=0.1 teacher,
# K = 131072 prototypes, 200 epochs. RGB here is the true-colour B4, B3, B2 of SSL4EO-S12 S2;
# the official data (RGB remote-sensing tiles) can replace it through train_dataloader.dataset.
# Photometry as the official PerAColorJitter: student p=0.8 (of which grayscale 10 %), else
# brightness 0.4 / contrast 0.4 / saturation 0.2 / hue 0.1 in a random order; teacher p=0.1,
# jitter only (RandomRGBColorJitter; full intensity = reflectance 10000). The views are cut and
# jittered per sample on the CPU (batch_augment=False: the batch-wise GPU path has no
# hue/saturation). The multispectral recipes keep the band-safe per-band brightness/contrast.
# eossl option: a crop view under 50 % valid (non-nodata) pixels is re-drawn (min_valid_fraction)
_base_ = ['pera_vits16_s2_200e_ssl4eo.py']

RGB = 's2_rgb'
views = dict(
    global_crop=dict(type='EORandomResizedCrop', size=448, scale=(0.4, 1.0), ratio=(0.75, 1.33),
                     min_valid_fraction=0.5),
    local_crop=dict(type='EORandomResizedCrop', size=96, scale=(0.05, 0.4), ratio=(0.75, 1.33),
                    min_valid_fraction=0.5),
    student_pipeline=[dict(type='RandomRGBColorJitter', brightness=0.4, contrast=0.4,
                           saturation=0.2, hue=0.1, prob=0.8, gray_prob=0.1, max_value=10000)],
    teacher_pipeline=[dict(type='RandomRGBColorJitter', brightness=0.4, contrast=0.4,
                           saturation=0.2, hue=0.1, prob=0.1, max_value=10000)],
    batch_augment=False)
step_overrides = dict(LoadMultiBandImage=dict(bands=RGB), AlignedMultiViews=views)
train_pipeline = [dict(step, **step_overrides.get(step['type'], {}))
                  for step in _base_.train_pipeline]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

arch = 'base'  # head widths and patch size follow the backbone
model = dict(
    data_preprocessor=dict(bands=RGB),
    backbone=dict(arch=arch, bands=RGB, img_size=448),
    pixel_head=dict(out_channels=3),  # reconstructs the 3 bands of 's2_rgb'
)
