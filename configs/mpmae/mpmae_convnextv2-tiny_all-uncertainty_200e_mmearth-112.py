# MP-MAE (MMEarth): ConvNeXt V2-tiny, all 12 modalities, uncertainty weighting, 112 px crops,
# patch 16; everything else as the atto recipe.
_base_ = ['mpmae_convnextv2-atto_all-uncertainty_200e_mmearth-112.py']

# the decoder's input width (768) follows the backbone
model = dict(backbone=dict(arch='tiny'))
