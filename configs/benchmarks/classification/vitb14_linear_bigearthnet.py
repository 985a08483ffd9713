# Linear probe of a SoftCon ViT-B/14 (13-band S2 L1C) on BigEarthNet with 10 % of the training
# labels (seeded, class-stratified), 224 px: frozen CLS token (768-d) -> a linear layer, mAP.
# Published SoftCon ViT-B/14, BigEarthNet-10 %: mAP 86.8. BigEarthNet is L2A and lacks the
# cirrus band B10: FillMissingBands adds it as nodata (0 after normalization), and the
# pretraining statistics (SSL4EO-S12 L1C) normalize all 13 bands.
_base_ = [
    './_base_/datasets/bigearthnet_s2.py',
    './_base_/schedules/linear_probe_100e.py',
    './_base_/default_runtime.py',
]

S2_L1C = 's2_l1c'
img_size = 224
checkpoint = 'checkpoints/softcon_vitb14_s2_backbone.pth'


def _to_l1c(pipeline: list) -> list:
    """The base pipeline at 224 px with B10 filled in after loading."""
    out = []
    for step in pipeline:
        if step['type'] == 'eossl.LoadMultiBandImage':
            out += [dict(step, target_size=img_size),
                    dict(type='eossl.FillMissingBands', bands=S2_L1C)]
        else:
            out.append(step)
    return out


train_dataloader = dict(dataset=dict(pipeline=_to_l1c(_base_.train_pipeline),
                                     label_fraction=0.1, label_fraction_seed=0))
val_dataloader = dict(dataset=dict(pipeline=_to_l1c(_base_.test_pipeline)))
test_dataloader = val_dataloader

model = dict(
    freeze_backbone=True,
    data_preprocessor=dict(stats='ssl4eo_s12:s2_l1c', bands=S2_L1C),
    backbone=dict(
        type='eossl.EOVisionTransformer', arch='base', bands=S2_L1C, img_size=224,
        patch_size=14, layer_scale_init_value=1e-5, out_type='cls_token',
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    head=dict(in_channels=768),
)
