# UPerNet on an eossl ViT (DINOv2-style, any band count): four block outputs as feature maps at
# 1/p, turned into a 4-level pyramid (x4, x2, x1, x0.5) by mmseg's MultiLevelNeck, then the
# UPerNet head and an FCN auxiliary head on level 3. The recipe sets arch, patch size, widths,
# bands and the pretrained file.
norm_cfg = dict(type='SyncBN', requires_grad=True)  # plain BN in a single process
model = dict(
    type='EncoderDecoder',
    backbone=dict(type='eossl.EOVisionTransformer', img_size=224, out_type='featmap',
                  out_indices=(3, 5, 7, 11), layer_scale_init_value=1e-5, drop_path_rate=0.1),
    neck=dict(type='MultiLevelNeck', scales=[4, 2, 1, 0.5]),
    decode_head=dict(type='UPerHead', in_index=[0, 1, 2, 3], pool_scales=(1, 2, 3, 6),
                     channels=512, dropout_ratio=0.1, norm_cfg=norm_cfg, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                      loss_weight=1.0, avg_non_ignore=True)),
    auxiliary_head=dict(type='FCNHead', in_index=2, channels=256, num_convs=1,
                        concat_input=False, dropout_ratio=0.1, norm_cfg=norm_cfg,
                        align_corners=False,
                        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                         loss_weight=0.4, avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
# the ViT's mask token (masked pretraining only) gets no gradient
find_unused_parameters = True
