# MMEarth 64 px tiles (data_1M_64), random 56 px crops, S2 only; everything else as the
# 128 px tiles base.
_base_ = ['mmearth_s2_112.py']

data_root = 'data/mmearth/data_1M_64'
crop_size = 56
train_pipeline = [dict(step, size=crop_size) if step['type'] == 'EORandomCrop' else step
                  for step in _base_.train_pipeline]
train_dataloader = dict(dataset=dict(data_root=data_root, pipeline=train_pipeline))
