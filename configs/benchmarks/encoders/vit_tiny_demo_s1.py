# A tiny ViT (4 blocks, 32-d, patch 4) on the Sentinel-1 VV, VH bands at 32 px: the demo and
# test encoder of eossl-benchmark (minutes on a CPU). Not a model to report.
default_scope = 'eossl'
name = 'ViT-tiny demo (S1 VV, VH)'
bands = 's1_grd'
stats = 'ssl4eo_s12:s1_grd'
img_size = 32
backbone = dict(type='eossl.EOVisionTransformer',
                arch=dict(embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64),
                bands=bands, img_size=img_size, patch_size=4)
