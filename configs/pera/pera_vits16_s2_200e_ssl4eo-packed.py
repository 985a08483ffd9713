# PerA ViT-S/16 as pera_vits16_s2_200e_ssl4eo.py, fed from the compact shard layout (the layout a
# GPU should be fed from; benchmarks/README.md "Feeding one H100"). Pack once:
#   eossl-pack-shards configs/_base_/datasets/ssl4eo_s12_s2_pera.py data/ssl4eo-s12-packed/s2c \
#       --layout compact --cfg-options train_dataloader.dataset.seasons=all --workers 16
# Packing runs the recipe's LoadMultiBandImage once: 13 bands on the 264 px grid (20 / 60 m
# bands resampled bilinearly, NaN-aware, rounded to whole DN), one uint16 array per sample.
# A worker reads that blob (its xxh3-64 checked on the run's first read of it from that chunk
# file: ShardedDataset's default check_checksum='first_read'; 'every_read' re-hashes every
# epoch), draws the view parameters and the disjoint patch sets, and hands
# over the uint16 tile (1.8 MB) read straight from the chunk's memory map into shared memory
# the worker reuses once the kernel proves the earlier batch in it released; index sets and
# view parameters are stacked into tensors in the worker, in the same memory: a batch crosses
# as one storage (eossl.collate_in_workers; docs/shards.md "Compact layout"). With CUDA (batch_augment='auto') the data
# preprocessor converts, cuts, flips, jitters and normalizes on the GPU; without it the views
# are cut in the workers as in the file recipe. Model and schedule are unchanged; an epoch sees
# every season once (4x the samples of the seasons='random' file recipe).
_base_ = ['pera_vits16_s2_200e_ssl4eo.py']

train_pipeline = [
    dict(type='LoadPackedBands', keys='img', bands=_base_.S2_BANDS, to_float=False),
    *_base_.train_pipeline[1:],
]
train_dataloader = dict(
    sampler=None,  # litdata splits the data between ranks and workers itself
    collate_fn=dict(type='eossl.collate_in_workers', fields=('disjoint_masks', 'aligned_views')),
    dataset=dict(_delete_=True, type='ShardedDataset', data_root='data/ssl4eo-s12-packed/s2c',
                 shuffle_buffer=2000, skip_invalid=True, pipeline=train_pipeline),
)
