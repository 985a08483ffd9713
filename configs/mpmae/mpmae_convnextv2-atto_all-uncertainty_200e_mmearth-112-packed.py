# MP-MAE as mpmae_convnextv2-atto_all-uncertainty_200e_mmearth-112.py, fed from the compact
# shard layout: each record holds the MMEarth row's 12 modalities (the S2 input and every
# pretext target) in their stored dtypes (uint16 S2, int16 ASTER, uint8 classes, float16 S1),
# decoded and z-scored by the unchanged LoadMMEarthSample; the targets are stacked into tensors
# in the DataLoader workers (eossl.collate_in_workers, as in the base). Pack once:
#   eossl-pack-shards configs/_base_/datasets/mmearth_all_112.py data/mmearth-packed/data_1M_128 \
#       --layout compact --workers 16
_base_ = ['mpmae_convnextv2-atto_all-uncertainty_200e_mmearth-112.py']

train_dataloader = dict(
    sampler=None,  # litdata splits the data between ranks and workers itself
    dataset=dict(_delete_=True, type='ShardedDataset',
                 data_root='data/mmearth-packed/data_1M_128', shuffle_buffer=2000,
                 pipeline=_base_.train_pipeline),
)
