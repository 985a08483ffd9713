# Dual-SimCLR ResNet-50 on SEN12MS S1/S2 pairs (dual_simclr_rn50_s1s2_200e_sen12ms.py) with one
# eossl option: dataset z-scoring instead of the official per-sample max normalisation.
# Why: PerSampleMaxNormalize divides every band of every patch by its own maximum, so a patch's
# absolute spectrum and backscatter level (what separates e.g. water from snow) is gone before
# the encoder sees it (benchmarks/README.md, learning signal). Here S1 is clipped to [-25, 0] dB
# and S2 to [0, 10000] as officially (no +25 offset), then the data preprocessor z-scores each
# band with the SSL4EO-S12 S1 GRD / S2 L1C statistics (SEN12MS publishes none). Everything else
# (model, NT-Xent tau 0.07, Adam 3e-5, schedule, crop, batch) as the official recipe.
_base_ = ['./dual_simclr_rn50_s1s2_200e_sen12ms.py']

S1_BANDS = 's1_grd'
S2_BANDS = 's2_l1c'

model = dict(data_preprocessor=dict(
    mean=None, std=None, stats=dict(s1='ssl4eo_s12:s1_grd', s2='ssl4eo_s12:s2_l1c'),
    bands=dict(s1=S1_BANDS, s2=S2_BANDS)))

train_pipeline = [dict(step, offset=0.0) if step.get('keys') == 's1' else step
                  for step in _base_.train_pipeline if step['type'] != 'PerSampleMaxNormalize']
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
