# PerA ViT-S/16 as pera_vits16_s2_200e_ssl4eo.py, reading SSL4EO-S12 S2 L1C from shards: only the
# dataset changes (pipeline, model and schedule are the same). Pack the shards once with
#   eossl-pack-shards configs/_base_/datasets/ssl4eo_s12_s2_pera.py \
#       data/ssl4eo-s12-shards/s2c --cfg-options train_dataloader.dataset.seasons=all --workers 16
# (one sample per location and season, so an epoch sees every season once). A streaming dataset
# splits the data between processes itself, hence sampler=None.
_base_ = ['pera_vits16_s2_200e_ssl4eo.py']

train_dataloader = dict(
    sampler=None,
    dataset=dict(_delete_=True, type='ShardedDataset', data_root='data/ssl4eo-s12-shards/s2c',
                 shuffle_buffer=2000, skip_invalid=True, pipeline=_base_.train_pipeline),
)
