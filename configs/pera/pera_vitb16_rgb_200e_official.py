# PerA ViT-B/16 as the official pera_vitb.yaml: RGB input, 2 global 448 px crops (scale 0.4–1)
# and 8 local 96 px crops (scale 0.05–0.4), photometric jitter p=0.8 student / p=0.1 teacher,
# K = 131072 prototypes, 200 epochs. RGB here is the true-colour B4, B3, B2 of SSL4EO-S12 S2;
# the official data (RGB remote-sensing tiles) can replace it through train_dataloader.dataset.
# Difference: eossl's jitter is per-band brightness/contrast (the official ColorJitter also
# shifts hue and saturation, which have no meaning for other band counts).
# eossl option: a crop view under 50 % valid (non-nodata) pixels is re-drawn (min_valid_fraction)
_base_ = ['pera_vits16_s2_200e_ssl4eo.py']

RGB = ('B4', 'B3', 'B2')
views = dict(
    global_crop=dict(type='EORandomResizedCrop', size=448, scale=(0.4, 1.0), ratio=(0.75, 1.33),
                     min_valid_fraction=0.5),
    local_crop=dict(type='EORandomResizedCrop', size=96, scale=(0.05, 0.4), ratio=(0.75, 1.33),
                    min_valid_fraction=0.5))
step_overrides = dict(LoadMultiBandImage=dict(bands=RGB), AlignedMultiViews=views)
train_pipeline = [dict(step, **step_overrides.get(step['type'], {}))
                  for step in _base_.train_pipeline]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

arch = 'base'  # head widths and patch size follow the backbone
model = dict(
    data_preprocessor=dict(bands=RGB),
    backbone=dict(arch=arch, bands=RGB, img_size=448),
    pixel_head=dict(out_channels=len(RGB)),
)
