"""Recipes name their band sets (``bands='s2_l1c'``) and statistics (``'ssl4eo_s12:s2_l1c'``);
the components resolve the names where they read them and store the band tuple itself."""
import ast
from pathlib import Path

import numpy as np
import pytest

from eossl.datasets.bands import BAND_SETS, BandLookupError, band_names, resolve_bands
from eossl.datasets.transforms.two_sigma_scale import TwoSigmaScale
from eossl.registry import MODELS

CONFIGS = Path(__file__).resolve().parents[1] / 'configs'
BAND = {*band_names('s2_l1c'), *band_names('s1_grd'), 'HH', 'HV'}


def _band_tuples(tree: ast.AST) -> list[ast.AST]:
    """Tuple / list literals of two or more strings that are all band names."""
    return [node for node in ast.walk(tree) if isinstance(node, (ast.Tuple, ast.List))
            and len(node.elts) >= 2
            and all(isinstance(e, ast.Constant) and e.value in BAND for e in node.elts)]


def test_no_recipe_spells_a_band_tuple():
    found = [f'{path.relative_to(CONFIGS)}:{node.lineno}'
             for path in sorted(CONFIGS.rglob('*.py'))
             for node in _band_tuples(ast.parse(path.read_text()))]
    assert not found, f'band tuples spelled out (name the set, eossl.datasets.bands): {found}'


def test_the_literal_check_sees_a_band_tuple():
    assert len(_band_tuples(ast.parse("S1 = ('VV', 'VH')\nx = dict(bands=['B4', 'B3'])"))) == 2
    assert not _band_tuples(ast.parse("keys = ('s1', 's2')\nbands = 's2_l1c'"))


def test_names_resolve_to_the_band_table():
    assert resolve_bands('s2_l1c') == band_names('s2_l1c') and len(band_names('s2_l1c')) == 13
    assert resolve_bands('s2_l2a') == tuple(b for b in band_names('s2_l1c') if b != 'B10')
    assert resolve_bands('s1_grd') == ('VV', 'VH')
    assert resolve_bands('s2_rgb') == BAND_SETS['s2_rgb'] == ('B4', 'B3', 'B2')
    assert resolve_bands(['B8', 'B2']) == ('B8', 'B2') and resolve_bands(None) is None
    with pytest.raises(BandLookupError, match='s2_l9'):
        resolve_bands('s2_l9')


def test_backbones_and_loaders_take_a_name_and_keep_the_bands():
    resnet = MODELS.build(dict(type='EOResNet', depth=18, bands='s1_grd', base_channels=8,
                               stem_channels=8))
    assert resnet.bands == ('VV', 'VH') and resnet.conv1.in_channels == 2
    vit = MODELS.build(dict(type='EOVisionTransformer', arch='small', bands='s2_rgb',
                            img_size=32, patch_size=16))
    assert vit.bands == ('B4', 'B3', 'B2') and vit.in_channels == 3


def test_two_sigma_scale_takes_named_statistics():
    image = np.full((3, 2, 2), 1000.0, dtype=np.float32)
    named = TwoSigmaScale(stats=('ssl4eo_s12:s1_grd', 'ssl4eo_s12:s2_l1c'))
    assert set(named.stats) == {'VV', 'VH', *band_names('s2_l1c')}
    assert named.stats['B2'] == pytest.approx((1390.78157673, 850.34818441))
    listed = TwoSigmaScale(stats=dict(bands='s2_rgb', mean=[1.0, 2.0, 3.0], std=[4.0, 5.0, 6.0]))
    assert listed.stats == {'B4': (1.0, 4.0), 'B3': (2.0, 5.0), 'B2': (3.0, 6.0)}
    out = named.transform({'img': image.copy(), 'img_bands': ['B4', 'B3', 'B2']})['img']
    mean, std = 1363.52445545, 1138.84957046  # B4
    assert out[0, 0, 0] == pytest.approx((1000.0 - (mean - 2 * std)) / (4 * std), rel=1e-5)
    with pytest.raises(ValueError, match='earlier'):
        TwoSigmaScale(stats=('ssl4eo_s12:s2_l1c', 'ssl4eo_s12:s2_l2a'))
    with pytest.raises(ValueError, match='names 3 bands but gives 2'):
        TwoSigmaScale(stats=dict(bands='s2_rgb', mean=[1.0, 2.0], std=[1.0, 2.0]))


def test_the_input_contract_of_a_named_recipe_holds_the_band_list():
    from mmengine.config import Config

    from eossl.apis.contract_builder import encoder_bands, encoder_fields
    cfg = Config.fromfile(str(CONFIGS / 'decur' / 'decur_rn50_s1s2_100e_ssl4eo.py'))
    assert cfg.model.s2_backbone.bands == 's2_l1c'  # the recipe names the set
    fields = encoder_fields(cfg)
    bands = {name: encoder_bands(cfg, cfg.model[field]) for name, (field, _) in fields.items()}
    assert sorted(bands.values()) == sorted([('VV', 'VH'), band_names('s2_l1c')])
