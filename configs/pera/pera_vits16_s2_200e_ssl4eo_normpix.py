# PerA ViT-S/16 on SSL4EO-S12 S2 with eossl's per-patch normalized pixel targets (MAE's
# norm_pix_loss): each predicted patch is compared with its own standardized pixels instead of the
# dataset-normalized ones; everything else is the official recipe pera_vits16_s2_200e_ssl4eo.py.
_base_ = ['pera_vits16_s2_200e_ssl4eo.py']

model = dict(pixel_head=dict(loss=dict(norm_per_patch=True)))
