# PerA ViT-S/16 as pera_vits16_s2_200e_ssl4eo.py, pretrained on windows cut from your own large
# Sentinel-2 L1C scenes (13-band GeoTIFFs/COGs/VRTs, band order B1..B12 with B8A after B8, or
# named by band descriptions) instead of SSL4EO-S12 patches: only the dataset and the loading
# step change (model, views, masks and schedule are the same).
#
# SceneWindows draws 100,000 random 264 px windows per epoch (window i of epoch e comes from
# (seed, e, i) alone, so a resumed run sees the same windows), skipping windows with < 50 %
# valid pixels; DatasetEpochSampler hands it the epoch. Scenes: every *.tif in data_root, plus
# any list of GDAL paths (scenes=['/vsis3/bucket/T33UUP.tif', ...] or a text file of them).
# The windows are read at their native 10 m grid (no target_size: the L1C bands of one file
# share it), then cropped into the PerA views as before.
_base_ = ['pera_vits16_s2_200e_ssl4eo.py']

data_root = 'data/s2_scenes'
train_pipeline = [
    dict(type='LoadMultiBandImage', modality='s2', bands=_base_.S2_BANDS, out_key='img'),
    *_base_.train_pipeline[1:],
]
train_dataloader = dict(
    sampler=dict(type='DatasetEpochSampler', shuffle=True),
    dataset=dict(_delete_=True, type='SceneWindows', data_root=data_root, pattern='*.tif',
                 size=264, mode='random', windows_per_epoch=100000, min_valid_fraction=0.5,
                 seed=0, skip_invalid=True, pipeline=train_pipeline),
)
