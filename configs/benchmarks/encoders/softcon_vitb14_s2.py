# SoftCon ViT-B/14, 13-band Sentinel-2 L1C (official B13_vitb14_softcon.pth), as Copernicus-Bench
# evaluates it: 224 px inputs, SSL4EO-S12 L1C statistics (the pretraining normalisation).
#   eossl-benchmark --encoder configs/benchmarks/encoders/softcon_vitb14_s2.py \
#       --weights B13_vitb14_softcon.pth --weights-format softcon --suite ...
default_scope = 'eossl'
name = 'SoftCon ViT-B/14 (S2)'
bands = 's2_l1c'
stats = 'ssl4eo_s12:s2_l1c'
img_size = 224
backbone = dict(type='eossl.EOVisionTransformer', arch='base', bands=bands, img_size=img_size,
                patch_size=14, layer_scale_init_value=1e-5)
