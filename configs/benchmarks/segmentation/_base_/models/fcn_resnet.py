# FCN on a dilated eossl ResNet (output stride 8: strides (1, 2, 1, 1), dilations (1, 1, 2, 4),
# the pretrained weights load unchanged): two 3x3 convs on stage 4 concatenated with their
# input, plus an FCN auxiliary head on stage 3. The recipe sets depth, bands and the file.
norm_cfg = dict(type='SyncBN', requires_grad=True)  # plain BN in a single process
model = dict(
    type='EncoderDecoder',
    backbone=dict(type='eossl.EOResNet', depth=50, out_indices=(0, 1, 2, 3),
                  strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), norm_cfg=norm_cfg,
                  norm_eval=False),
    decode_head=dict(type='FCNHead', in_channels=2048, in_index=3, channels=512, num_convs=2,
                     concat_input=True, dropout_ratio=0.1, norm_cfg=norm_cfg,
                     align_corners=False,
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
