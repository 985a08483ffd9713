# MP-MAE (MMEarth): ConvNeXt V2-atto, all 12 modalities, plain sum of the pretext losses
# instead of uncertainty weighting; everything else as the uncertainty recipe.
_base_ = ['mpmae_convnextv2-atto_all-uncertainty_200e_mmearth-112.py']

model = dict(loss_weighting=None)
