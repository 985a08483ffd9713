"""eossl registries reach mmpretrain/mmseg components by prefix and vice versa."""
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS

from eossl.registry import MODELS, TRANSFORMS


def test_mmpretrain_component_from_an_eossl_recipe():
    neck = MODELS.build(dict(type='mmpretrain.GlobalAveragePooling'))
    assert type(neck).__module__.startswith('mmpretrain')


def test_eossl_component_from_an_mmpretrain_recipe():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        backbone = MMPRETRAIN_MODELS.build(dict(type='eossl.EOResNet', depth=18,
                                                bands=('VV', 'VH')))
    assert backbone.bands == ('VV', 'VH')


def test_registries_are_scoped_children_of_mmengine():
    assert MODELS.scope == TRANSFORMS.scope == 'eossl'
    assert MODELS.parent.scope == 'mmengine'
