# MP-MAE ConvNeXt V2-atto, S2 only (as mpmae_convnextv2-atto_s2_200e_mmearth-112.py) with the
# eossl wavelength stem (patch_embed='wavelength', docs/wavelength_stem.md): the first 3x3 conv
# (initial_conv) generates each band's kernel from its wavelength / bandwidth, so the encoder
# takes any subset and order of known bands. Not in the paper. The S2 reconstruction target keeps
# its 12 bands; the batch's bands travel as 'sentinel2_bands' metainfo (LoadMMEarthSample).
_base_ = ['mpmae_convnextv2-atto_s2_200e_mmearth-112.py']

S2_BANDS = 's2_l2a'
model = dict(backbone=dict(
    in_channels=None, bands=S2_BANDS, patch_embed='wavelength',
    wavelength_cfg=dict(band_key='sentinel2_bands')))
train_pipeline = [*_base_.train_pipeline[:-1],
                  dict(type='PackEOInputs', keys='sentinel2', algorithm_keys=_base_.modalities,
                       meta_keys=('sample_id', 'sentinel2_bands'))]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
