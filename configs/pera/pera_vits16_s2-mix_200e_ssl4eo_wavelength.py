# PerA ViT-S/16 with the wavelength patch embedding, pretrained on a MIX of sensors' band sets:
# each batch is, with equal probability, S2 L1C (13 bands), S2 L2A's 12 bands (no B10) or an
# RGBN aerial-like 4-band subset (B2 B3 B4 B8) — drawn per batch by SensorMixDataPreprocessor
# after normalization (docs/wavelength_stem.md). One encoder thus learns to embed all three.
# The pixels are the loaded L1C product's (the L2A set has L2A's bands, not its surface
# reflectance). The pixel head predicts all 13 bands and is scored on the batch's bands
# (PerA names the head's bands after the wavelength backbone's default bands). Everything else as pera_vits16_s2_200e_ssl4eo.py. Not in the paper.
_base_ = ['pera_vits16_s2_200e_ssl4eo.py']

model = dict(
    data_preprocessor=dict(
        type='eossl.SensorMixDataPreprocessor',
        band_sets=dict(s2_l1c='s2_l1c', s2_l2a='s2_l2a', rgbn='s2_10m'),
        probs=(1, 1, 1), band_key='img_bands'),
    backbone=dict(patch_embed='wavelength',
                  wavelength_cfg=dict(band_key='img_bands', hidden_dims=64, reduction='mean')))
# the draw needs each sample's loaded bands: 'img_bands' packed as metainfo
train_pipeline = [*_base_.train_pipeline[:-1],
                  dict(type='PackEOInputs', keys='img',
                       algorithm_keys=('disjoint_masks', 'aligned_views'),
                       meta_keys=('sample_id', 'img_bands'))]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
