# SoftCon ViT-B/14, Sentinel-1 VV/VH (official B2_vitb14_softcon.pth), 224 px, SSL4EO-S12 S1
# statistics.
default_scope = 'eossl'
name = 'SoftCon ViT-B/14 (S1)'
bands = 's1_grd'
stats = 'ssl4eo_s12:s1_grd'
img_size = 224
backbone = dict(type='eossl.EOVisionTransformer', arch='base', bands=bands, img_size=img_size,
                patch_size=14, layer_scale_init_value=1e-5)
