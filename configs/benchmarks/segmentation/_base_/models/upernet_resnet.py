# UPerNet on an eossl ResNet (any band count): the four stages (strides 4-32) feed the UPerNet
# head, stage 3 an FCN auxiliary head. The recipe sets depth, bands and the pretrained file.
norm_cfg = dict(type='SyncBN', requires_grad=True)  # plain BN in a single process
model = dict(
    type='EncoderDecoder',
    backbone=dict(type='eossl.EOResNet', depth=50, out_indices=(0, 1, 2, 3),
                  norm_cfg=norm_cfg, norm_eval=False),
    decode_head=dict(type='UPerHead', in_channels=[256, 512, 1024, 2048], in_index=[0, 1, 2, 3],
                     pool_scales=(1, 2, 3, 6), channels=512, dropout_ratio=0.1,
                     norm_cfg=norm_cfg, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                      loss_weight=1.0, avg_non_ignore=True)),
    auxiliary_head=dict(type='FCNHead', in_channels=1024, in_index=2, channels=256, num_convs=1,
                        concat_input=False, dropout_ratio=0.1, norm_cfg=norm_cfg,
                        align_corners=False,
                        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                         loss_weight=0.4, avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
