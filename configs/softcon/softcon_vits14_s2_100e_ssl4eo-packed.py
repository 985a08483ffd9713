# SoftCon ViT-S/14 S2 as softcon_vits14_s2_100e_ssl4eo.py, fed from the compact shard layout.
# Pack once (one sample per location and season; the labels travel with each sample):
#   eossl-pack-shards configs/_base_/datasets/ssl4eo_s12_s2_softcon.py \
#       data/ssl4eo-s12-packed/s2c-softcon --layout compact \
#       --cfg-options train_dataloader.dataset.seasons=all --workers 16
# Packing runs the recipe's LoadMultiBandImage once (13 bands on the 264 px grid, 0 = nodata);
# a worker decodes the uint16 tile to float32 with NaN and cuts the two views as before (blur
# has no batch-wise version), then stacks the views into tensors (eossl.collate_in_workers).
_base_ = ['softcon_vits14_s2_100e_ssl4eo.py']

train_pipeline = [
    dict(type='LoadPackedBands', keys='img', bands=_base_.S2_BANDS, to_float=True),
    *_base_.train_pipeline[1:],
]
train_dataloader = dict(
    sampler=None,  # litdata splits the data between ranks and workers itself
    collate_fn=dict(type='eossl.collate_in_workers'),
    dataset=dict(_delete_=True, type='ShardedDataset',
                 data_root='data/ssl4eo-s12-packed/s2c-softcon', shuffle_buffer=2000,
                 skip_invalid=True, pipeline=train_pipeline),
)
