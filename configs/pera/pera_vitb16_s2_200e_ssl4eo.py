# PerA with a ViT-B/16 (the paper's main backbone) on SSL4EO-S12 S2 L1C, 13 bands; everything
# else as the ViT-S recipe.
_base_ = ['pera_vits16_s2_200e_ssl4eo.py']

arch = 'base'  # head widths and patch size follow the backbone
model = dict(
    backbone=dict(arch=arch),
)
