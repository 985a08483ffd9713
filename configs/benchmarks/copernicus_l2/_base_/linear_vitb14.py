# Copernicus-Bench level-2 classification protocol (zhu-xlab/Copernicus-FM, Copernicus-Bench/src:
# softcon_wrapper.SoftConClassification, lightning_task.configure_optimizers, scripts/
# exp_config_softcon.py), frozen SoftCon ViT-B/14:
# - inputs resized to 224 px (bilinear), train flips H/V (p=0.5), SoftCon's mean±2std scaling;
# - a linear layer on the mean of the final-normed patch tokens (out_type='avg_featmap');
# - SGD (torch defaults: momentum 0 is then driven by OneCycle, see below), weight decay 1e-4,
#   OneCycleLR per iteration: anneal 'cos', no warm-up (pct_start 0), div_factor 25,
#   final_div_factor 1e4, and torch's cycle_momentum=True: momentum goes 0.85 -> 0.95 (cosine)
#   over the run (mmengine: SGD momentum 0.85 + CosineAnnealingMomentum(eta_min=0.95));
# - 50 epochs, batch 64; lr 0.1 (EuroSAT) / 1.0 (BigEarthNet) set by each recipe;
# - multi-label: MultiLabelSoftMarginLoss = mmpretrain CrossEntropyLoss(use_sigmoid=True), the
#   mean of the per-class binary cross-entropies (tests check the two agree).
_base_ = ['../../classification/_base_/default_runtime.py']

img_size = 224
epochs = 50
batch_size = 64
checkpoint = 'checkpoints/softcon_vitb14_backbone.pth'

model = dict(
    type='eossl.EOImageClassifier',
    freeze_backbone=True,
    data_preprocessor=dict(type='eossl.EOClsDataPreprocessor'),  # mean/std: the recipe (0, 1)
    backbone=dict(type='eossl.EOVisionTransformer', arch='base', patch_size=14,
                  img_size=img_size, layer_scale_init_value=1e-5, out_type='avg_featmap',
                  init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=None,
    head=dict(type='LinearClsHead', in_channels=768,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.1, momentum=0.85, weight_decay=1e-4))
param_scheduler = [
    dict(type='OneCycleLR', eta_max=0.1, pct_start=0.0, anneal_strategy='cos', div_factor=25,
         final_div_factor=1e4, by_epoch=True, begin=0, end=epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', eta_min=0.95, by_epoch=True, begin=0, end=epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
