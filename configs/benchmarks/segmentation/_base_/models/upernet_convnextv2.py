# UPerNet on the MP-MAE ConvNeXt V2 (dense mode, any band count): the four stages, each with
# its output LayerNorm, feed the UPerNet head, stage 3 an FCN auxiliary head. With the MMEarth
# stem and patch 16 the stages sit at strides 2, 4, 8 and 16. The recipe sets arch, widths,
# bands and the pretrained file.
norm_cfg = dict(type='SyncBN', requires_grad=True)  # plain BN in a single process
model = dict(
    type='EncoderDecoder',
    backbone=dict(type='eossl.ConvNeXtV2FCMAE', patch_size=16, stem_type='mmearth',
                  out_indices=(0, 1, 2, 3), out_norm=True, drop_path_rate=0.1),
    decode_head=dict(type='UPerHead', in_index=[0, 1, 2, 3], pool_scales=(1, 2, 3, 6),
                     channels=256, dropout_ratio=0.1, norm_cfg=norm_cfg, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                      loss_weight=1.0, avg_non_ignore=True)),
    auxiliary_head=dict(type='FCNHead', in_index=2, channels=128, num_convs=1,
                        concat_input=False, dropout_ratio=0.1, norm_cfg=norm_cfg,
                        align_corners=False,
                        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                         loss_weight=0.4, avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
