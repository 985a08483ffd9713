# The SoftCon CPU demo with a kNN probe during pretraining: after every epoch,
# KNNEvaluationHook embeds the six labelled BigEarthNet example patches (whole, 112 px, no
# augmentation) with the current backbone and logs the leave-one-out kNN mAP as knn/mAP, beside
# RepresentationMonitorHook's train/* figures. A real run points it at a labelled validation
# set (e.g. eossl.CopernicusBenchEuroSAT val) and a larger interval.
_base_ = ['./softcon_vits14_s2_demo_bigearthnet.py']

custom_hooks = [
    dict(type='eossl.KNNEvaluationHook', interval=1, num_classes=19, k=5,
         dataset=dict(type='eossl.BigEarthNet', data_root='data/bigearthnet_example',
                      s2_root='BigEarthNet-S2-Example', modalities=('s2', ), num_classes=19,
                      exclude_cloudy_snowy=False,
                      pipeline=[dict(type='eossl.LoadMultiBandImage', modality='s2',
                                     bands=_base_.S2_BANDS, target_size=112),
                                dict(type='eossl.PackEOInputs', keys='img')]),
         data_preprocessor=dict(type='eossl.EOClsDataPreprocessor', stats='bigearthnet:s2_l2a',
                                bands=_base_.S2_BANDS)),
]
