# A tiny ViT (4 blocks, 32-d, patch 4) on the 13 Sentinel-2 L1C bands at 32 px: the demo and
# test encoder of eossl-benchmark (minutes on a CPU). Not a model to report.
default_scope = 'eossl'
name = 'ViT-tiny demo (S2 L1C)'
bands = 's2_l1c'
stats = 'ssl4eo_s12:s2_l1c'
img_size = 32
backbone = dict(type='eossl.EOVisionTransformer',
                arch=dict(embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64),
                bands=bands, img_size=img_size, patch_size=4)
