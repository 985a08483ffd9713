# 20k iterations: AdamW 6e-5 (weight decay 0.01), 1,500 warm-up iterations, then polynomial
# (power 1) decay to 0 — the UPerNet schedule of mmseg's ViT/Swin recipes, shortened for the
# ~1k-patch DFC2020 training split. No validation during training (see the dataset bases).
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=1500, end=20000),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000)
