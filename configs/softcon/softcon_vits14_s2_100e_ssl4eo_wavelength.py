# SoftCon ViT-S/14 on SSL4EO-S12 S2 L1C (as softcon_vits14_s2_100e_ssl4eo.py) with the eossl
# wavelength patch embedding (patch_embed='wavelength', docs/wavelength_stem.md): the kernel of
# each band is generated from its wavelength / bandwidth, so the pretrained encoder embeds any set
# and order of known bands (12-band L2A, RGBN, RGB) with no stem surgery. Not in the paper.
# The bands of each batch travel as the data samples' 'img_bands' metainfo.
# Start: the stem is FITTED to DINOv2's RGB patch embedding on B4, B3, B2 (exact on those bands,
# interpolated from the wavelength descriptors elsewhere); the rest of DINOv2 loads unchanged.
# Without the file: --cfg-options model.backbone.init_cfg=None (random init).
_base_ = ['softcon_vits14_s2_100e_ssl4eo.py']

model = dict(backbone=dict(
    patch_embed='wavelength',
    wavelength_cfg=dict(band_key='img_bands', hidden_dims=64, reduction='mean'),
    init_cfg=dict(_delete_=True, type='WavelengthFromFixedPretrained',
                  checkpoint=_base_.rgb_checkpoint, bands='s2_rgb')))
train_pipeline = [*_base_.train_pipeline[:-1],
                  dict(type='PackEOInputs', keys=('img', ),
                       meta_keys=('sample_id', 'season', 'img_bands'))]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
