"""A pooling neck after an already pooled backbone is refused when the classifier is built,
naming the backbone output and the neck option."""
import pytest
import torch
from mmengine.registry import DefaultScope

from eossl.registry import MODELS


def classifier(out_type: str, neck: str | None = 'GlobalAveragePooling') -> dict:
    """A tiny ViT linear classifier (mmpretrain scope, as downstream recipes are)."""
    return dict(type='eossl.EOImageClassifier',
                data_preprocessor=dict(type='eossl.EOClsDataPreprocessor', mean=[0.] * 3,
                                       std=[1.] * 3),
                backbone=dict(type='eossl.EOVisionTransformer', bands=('B2', 'B3', 'B4'),
                              arch=dict(embed_dims=32, num_layers=1, num_heads=2),
                              patch_size=8, img_size=32, out_type=out_type),
                neck=None if neck is None else dict(type=neck),
                head=dict(type='LinearClsHead', num_classes=2, in_channels=32))


@pytest.mark.parametrize('out_type', ['cls_token', 'avg_featmap'])
def test_pooling_neck_after_pooled_vit_names_output_and_option(out_type):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        with pytest.raises(ValueError, match=rf"model.neck=GlobalAveragePooling pools again.*"
                           rf"out_type='{out_type}'.*Remove model.neck.*out_type='featmap'"):
            MODELS.build(classifier(out_type))


def test_featmap_with_a_neck_and_cls_token_without_build_and_run():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        for model in (MODELS.build(classifier('featmap')),
                      MODELS.build(classifier('cls_token', neck=None))):
            assert model.extract_feat(torch.zeros(2, 3, 32, 32))[-1].shape == (2, 32)
