# Linear probe of Dual-SimCLR (ResNet-50 per modality) on DFC2020 multi-label scenes: a patch
# carries every class covering at least 10 % of its labelled pixels; sigmoid head, mAP and F1.
_base_ = ['./dual_simclr_rn50_linear_dfc2020.py']

train_dataloader = dict(dataset=dict(scene_labels='multi', min_class_fraction=0.1))
test_dataloader = dict(dataset=dict(scene_labels='multi', min_class_fraction=0.1))
test_evaluator = [
    dict(type='eossl.MultiLabelAveragePrecision'),
    dict(type='MultiLabelMetric', average='macro'),
    dict(type='MultiLabelMetric', average='micro'),
]
model = dict(head=dict(_delete_=True, type='MultiLabelLinearClsHead', num_classes=8,
                       in_channels=4096, loss=dict(type='CrossEntropyLoss', use_sigmoid=True)))
