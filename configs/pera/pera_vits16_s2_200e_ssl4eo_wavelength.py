# PerA ViT-S/16 on SSL4EO-S12 S2 L1C (as pera_vits16_s2_200e_ssl4eo.py) with the eossl
# wavelength patch embedding (patch_embed='wavelength', docs/wavelength_stem.md): each band's
# kernel is generated from its wavelength / bandwidth, so the pretrained encoder embeds any set
# and order of known bands with no stem surgery. Not in the paper. The student and the EMA
# teacher share the stem design; the bands of each batch travel as 'img_bands' metainfo.
_base_ = ['pera_vits16_s2_200e_ssl4eo.py']

model = dict(backbone=dict(
    patch_embed='wavelength',
    wavelength_cfg=dict(band_key='img_bands', hidden_dims=64, reduction='mean')))
train_pipeline = [*_base_.train_pipeline[:-1],
                  dict(type='PackEOInputs', keys='img',
                       algorithm_keys=('disjoint_masks', 'aligned_views'),
                       meta_keys=('sample_id', 'img_bands'))]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
