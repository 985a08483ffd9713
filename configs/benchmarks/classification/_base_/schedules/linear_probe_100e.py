# Linear probe: only the head learns (EOImageClassifier(freeze_backbone=True)); SGD with
# momentum, cosine decay over 100 epochs, lr 0.1 for a global batch of 256 (set
# auto_scale_lr.enable=True to scale it linearly with another global batch); no weight decay.
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=0, end=100)]
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
auto_scale_lr = dict(base_batch_size=256, enable=False)
