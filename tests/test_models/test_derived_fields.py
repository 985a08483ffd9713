"""Values an algorithm derives from its backbone are filled from it, and a recipe or data
pipeline that disagrees is an error naming both fields."""
import numpy as np
import pytest
from mmengine.dataset import pseudo_collate

from eossl.registry import MODELS, TRANSFORMS

BANDS, DIM = 3, 32


def _pera(**head) -> dict:
    return dict(
        type='PerA', num_global=2, num_local=2,
        backbone=dict(type='EOVisionTransformer', arch=dict(embed_dims=DIM, num_layers=2,
                      num_heads=2), in_channels=BANDS, img_size=32, patch_size=8),
        head=dict(type='DINOProjectionHead', num_prototypes=16, hidden_channels=16,
                  bottleneck_channels=8, **head),
        pixel_head=dict(type='PixelPredictionHead', out_channels=BANDS, hidden_channels=16,
                        bottleneck_channels=8),
        data_preprocessor=dict(type='eossl.EODataPreprocessor', mean=[0.5] * BANDS,
                               std=[0.25] * BANDS))


def _pera_batch(patch_size: int, num_local: int = 2) -> dict:
    """Four samples through PerA's view and mask transforms with the given patch / slots."""
    pipeline = [TRANSFORMS.build(cfg) for cfg in (
        dict(type='AlignedMultiViews', num_global=2, num_local=num_local,
             global_crop=dict(type='EORandomResizedCrop', size=32, scale=(0.4, 1.0)),
             local_crop=dict(type='EORandomResizedCrop', size=16, scale=(0.05, 0.4))),
        dict(type='DisjointMaskGenerator', patch_size=patch_size, num_global=2),
        dict(type='PackEOInputs', algorithm_keys=('disjoint_masks',)))]
    rng = np.random.RandomState(0)
    samples = []
    for i in range(4):
        results = {'img': rng.rand(BANDS, 48, 48).astype(np.float32), 'sample_id': str(i)}
        for transform in pipeline:
            results = transform(results)
        samples.append(results)
    return pseudo_collate(samples)


def test_pera_heads_take_the_backbone_width_and_patch_size():
    model = MODELS.build(_pera())
    assert model.head.projector.mlp[0].in_features == DIM
    assert model.pixel_head.patch_size == 8
    assert MODELS.build(_pera(in_channels=DIM)).head.projector.mlp[0].in_features == DIM
    with pytest.raises(ValueError, match=r'model.head.in_channels=64 does not match '
                                         r'model.backbone.embed_dims=32'):
        MODELS.build(_pera(in_channels=64))


def test_pera_names_both_fields_when_the_pipeline_disagrees_with_the_model():
    model = MODELS.build(_pera())
    model.init_weights()
    data = model.data_preprocessor(_pera_batch(patch_size=8), True)
    assert model(**data, mode='loss')['loss_dino'].isfinite()
    data = model.data_preprocessor(_pera_batch(patch_size=4), True)
    with pytest.raises(ValueError, match=r'cover 64 patches .* model.backbone.patch_size=8 gives '
                                         r'16; set DisjointMaskGenerator.patch_size'):
        model(**data, mode='loss')
    model.num_local = 1  # the pipeline draws 2 local slots
    data = model.data_preprocessor(_pera_batch(patch_size=8), True)
    with pytest.raises(ValueError, match=r'model.num_global \+ model.num_local = 3 slots\), got 8'):
        model(**data, mode='loss')


def test_softcon_and_mpmae_fill_their_input_widths():
    softcon = MODELS.build(dict(
        type='SoftCon', backbone=dict(type='EOResNet', depth=18, in_channels=BANDS),
        neck=dict(type='mmpretrain.NonLinearNeck', hid_channels=16, out_channels=8,
                  with_avg_pool=False),
        head=dict(type='SoftContrastiveHead', loss=dict(type='SoftContrastiveLoss'))))
    assert softcon.neck.fc0.in_features == 512  # ResNet-18's feat_dim
    mpmae = MODELS.build(dict(
        type='MPMAE',
        backbone=dict(type='ConvNeXtV2FCMAE', arch=dict(depths=[1, 1, 1, 1],
                      channels=[8, 8, 16, 24]), in_channels=BANDS, patch_size=8),
        neck=dict(type='FCMAEDecoder', embed_dim=16),
        heads=dict(img=dict(type='PixelRegressionHead', out_channels=BANDS),
                   lat=dict(type='ImageLevelHead', out_channels=2))))
    assert mpmae.neck.proj.in_channels == 24 and mpmae.heads['img'].patch_size == 8
    with pytest.raises(ValueError, match=r'model.heads.img.patch_size=4 does not match '
                                         r'model.backbone.patch_size=8'):
        MODELS.build(dict(mpmae_cfg := dict(
            type='MPMAE', backbone=dict(type='ConvNeXtV2FCMAE', arch=dict(
                depths=[1, 1, 1, 1], channels=[8, 8, 16, 24]), in_channels=BANDS, patch_size=8),
            neck=dict(type='FCMAEDecoder', embed_dim=16),
            heads=dict(img=dict(type='PixelRegressionHead', out_channels=BANDS,
                                patch_size=4)))))
    assert mpmae_cfg['heads']['img']['patch_size'] == 4  # the caller's config is left alone
