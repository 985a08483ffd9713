# UPerNet on mmpretrain's Swin Transformer (the Dual-SimCLR Swin; named 'mmpretrain.' because
# mmseg has its own SwinTransformer with other weight names): the four stages (strides 4-32,
# each with its output norm) feed the UPerNet head, stage 3 an FCN auxiliary head. The recipe
# sets the input bands and the pretrained file.
norm_cfg = dict(type='SyncBN', requires_grad=True)  # plain BN in a single process
model = dict(
    type='EncoderDecoder',
    backbone=dict(type='mmpretrain.SwinTransformer',
                  arch=dict(embed_dims=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24]),
                  img_size=224, patch_size=4, window_size=7, drop_path_rate=0.2,
                  out_indices=(0, 1, 2, 3)),
    decode_head=dict(type='UPerHead', in_channels=[96, 192, 384, 768], in_index=[0, 1, 2, 3],
                     pool_scales=(1, 2, 3, 6), channels=512, dropout_ratio=0.1,
                     norm_cfg=norm_cfg, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                      loss_weight=1.0, avg_non_ignore=True)),
    auxiliary_head=dict(type='FCNHead', in_channels=384, in_index=2, channels=256, num_convs=1,
                        concat_input=False, dropout_ratio=0.1, norm_cfg=norm_cfg,
                        align_corners=False,
                        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                         loss_weight=0.4, avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
