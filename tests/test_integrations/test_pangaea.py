"""PANGAEA encoder: built from the shipped yaml with Hydra's instantiate, it satisfies the
contract of pangaea-bench's ``pangaea/encoders/base.py`` (one map per output layer)."""
import logging
from pathlib import Path

import pytest
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import OmegaConf

import eossl.integrations
from eossl.models.weights import WeightsNotFoundError, get_weights
from tests.tiny_checkpoints import official_softcon_vit_state, populate_hub_cache

YAML = Path(eossl.integrations.__file__).parent / 'pangaea_conf' / 'encoder' / 'eossl.yaml'


def _encoder_cfg(img_size: int, **overrides):
    """The shipped yaml inside a PANGAEA-style run config (``dataset.img_size`` resolves)."""
    cfg = OmegaConf.create({'dataset': {'img_size': img_size},
                            'encoder': OmegaConf.load(YAML)})
    for key, value in overrides.items():
        OmegaConf.update(cfg, f'encoder.{key}', value)
    return cfg.encoder


def test_vit_encoder_from_the_yaml_returns_one_map_per_output_layer(offline_hub):
    official = official_softcon_vit_state(in_chans=13)
    populate_hub_cache(offline_hub, 'wangyi111/softcon', 'B13_vits14_softcon.pth', official)
    encoder = instantiate(_encoder_cfg(28))
    encoder.load_encoder_weights(logging.getLogger('pangaea'))
    torch.testing.assert_close(encoder.backbone.blocks[11].ls2.gamma,
                               official['blocks.11.ls2.gamma'])
    assert encoder.input_bands == {'optical': list(get_weights('softcon_vits14_s2').bands)}
    assert encoder.output_layers == [3, 5, 7, 11] and encoder.output_dim == [384] * 4
    assert (encoder.embed_dim, encoder.input_size, encoder.multi_temporal,
            encoder.pyramid_output) == (384, 28, False, False)
    x = {'optical': torch.randn(2, 13, 1, 28, 28)}  # PANGAEA's (B, C, T, H, W), T = 1
    maps = encoder(x)
    assert [tuple(m.shape) for m in maps] == [(2, 384, 2, 2)] * 4
    encoder.freeze()
    assert not any(p.requires_grad for p in encoder.parameters())


def test_cnn_encoder_gives_a_pyramid_and_routes_bands_by_name(offline_hub):
    cfg = _encoder_cfg(64, encoder_weights='softcon_rn50_s1', output_layers=[0, 1, 2, 3],
                       output_dim=[256, 512, 1024, 2048], input_bands={'sar': ['VH', 'VV']})
    encoder = instantiate(cfg)
    assert encoder.index == [1, 0] and encoder.pyramid_output
    maps = encoder({'sar': torch.randn(1, 2, 64, 64)})
    assert [tuple(m.shape) for m in maps] == [(1, 256, 16, 16), (1, 512, 8, 8),
                                              (1, 1024, 4, 4), (1, 2048, 2, 2)]
    with pytest.raises(WeightsNotFoundError, match='B2_rn50_softcon'):  # nothing downloads
        encoder.load_encoder_weights(logging.getLogger('pangaea'))
    with pytest.raises(InstantiationException, match='output_dim 768 in the yaml'):
        instantiate(_encoder_cfg(28, output_dim=768))
