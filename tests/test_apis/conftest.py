"""Tiny recipes and scenes for the inference API tests."""
from pathlib import Path

import pytest
from mmengine.config import Config

from eossl.datasets.bands import band_names

S2_BANDS = band_names('s2_l1c')


def tiny_segmentor(num_classes: int = 4, width: int = 64) -> Config:
    """An mmseg EncoderDecoder on a one-stage 13-band ResNet-18 (``width`` channels, receptive
    field ~51 px, output stride 4) with an FCN head: its receptive-field radius (~30 px with the
    upsampling) fits in a quarter of a 128 px overlap."""
    return Config(dict(default_scope='mmseg', model=dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='eossl.EOSegDataPreprocessor', stats='ssl4eo_s12:s2_l1c',
                               bands=S2_BANDS),
        backbone=dict(type='eossl.EOResNet', depth=18, bands=S2_BANDS, num_stages=1,
                      strides=(1, ), dilations=(1, ), out_indices=(0, ),
                      stem_channels=width, base_channels=width),
        decode_head=dict(type='FCNHead', in_channels=width, in_index=0, channels=16, num_convs=1,
                         concat_input=False, num_classes=num_classes, norm_cfg=dict(type='BN'),
                         align_corners=False, loss_decode=dict(type='CrossEntropyLoss')),
        train_cfg=dict(), test_cfg=dict(mode='whole'))))


# merged over a recipe's arch name: {'model.backbone.arch': TINY_VIT}
TINY_VIT = dict(_delete_=True, embed_dims=32, num_layers=2, num_heads=2, mlp_ratio=2)


@pytest.fixture(scope='module')
def scene(tmp_path_factory) -> Path:
    """A 13-band 200 x 232 uint16 scene (nodata 0 in a corner triangle), larger than a tile."""
    from eossl.testing.scenes import make_fake_scene
    return make_fake_scene(tmp_path_factory.mktemp('scene') / 'scene.tif', 200, 232)
