# Dual-SimCLR ResNet-50 per modality on SEN12MS (as dual_simclr_rn50_s1s2_200e_sen12ms.py) with
# the eossl wavelength stem in BOTH backbones (patch_embed='wavelength', docs/wavelength_stem.md):
# conv1's kernel of each band is generated from its wavelength / bandwidth (S2) or its
# polarisation (S1 VV / VH share one C-band wavelength), so each encoder takes any subset and
# order of its modality's bands. Not in the paper. The S1 stem reads the batch's 's1_bands'
# metainfo, the S2 stem 's2_bands' (written by LoadPairedModalities).
_base_ = ['dual_simclr_rn50_s1s2_200e_sen12ms.py']

model = dict(
    s1_backbone=dict(patch_embed='wavelength', wavelength_cfg=dict(band_key='s1_bands')),
    s2_backbone=dict(patch_embed='wavelength', wavelength_cfg=dict(band_key='s2_bands')))
train_pipeline = [*_base_.train_pipeline[:-1],
                  dict(type='PackEOInputs', keys=('s1', 's2'),
                       meta_keys=('sample_id', 's1_bands', 's2_bands'))]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
