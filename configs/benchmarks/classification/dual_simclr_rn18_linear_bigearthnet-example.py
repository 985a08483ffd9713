# Demo downstream of the Dual-SimCLR CPU demo (configs/dual_simclr/
# dual_simclr_rn18_s1s2_demo_bigearthnet.py): linear probe of both ResNet-18s (512 + 512
# pooled features) on the six real BigEarthNet example pairs, 19-class multi-label. Six patches
# train and evaluate: a smoke test of the chain, not a benchmark. A kNN probe needs no training:
#   eossl-extract-backbone work_dirs/demo/epoch_30.pth \
#       work_dirs/demo/backbone.pth
#   eossl-knn-probe \
#       configs/benchmarks/classification/dual_simclr_rn18_linear_bigearthnet-example.py \
#       --checkpoint work_dirs/demo/backbone.pth --query train --k 5
_base_ = [
    './_base_/datasets/bigearthnet_example_s1s2.py',
    './_base_/default_runtime.py',
]

checkpoint = 'work_dirs/demo/backbone.pth'

model = dict(
    freeze_backbone=True,
    backbone=dict(
        type='eossl.DualModalityBackbone',
        s1_backbone=dict(type='eossl.EOResNet', depth=18, bands=_base_.S1_BANDS,
                         out_indices=(3, )),
        s2_backbone=dict(type='eossl.EOResNet', depth=18, bands=_base_.S2_BANDS,
                         out_indices=(3, )),
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    head=dict(in_channels=1024),
)

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=5)
default_hooks = dict(logger=dict(interval=1))
