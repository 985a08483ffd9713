"""The band table: names, metadata, name normalization and statistics resolved by name."""
import json
import math
from pathlib import Path

import pytest

from eossl.datasets.bands import (
    BandLookupError,
    band_info,
    band_name_from_filename,
    band_names,
    band_stats,
    canonical_band_order,
    normalize_band_name,
    resolve_band_order,
    resolve_stats,
    stored_band_order,
)

# The numbers of the design notes' "Normalization statistics", in the band order listed there.
DESIGN_STATS = json.loads((Path(__file__).parents[1] / 'data' / 'band_stats.json').read_text())


def test_sensor_band_orders():
    l1c, l2a = band_names('s2_l1c'), band_names('s2_l2a')
    assert len(l1c) == 13 and len(l2a) == 12
    assert l2a == tuple(b for b in l1c if b != 'B10')
    assert l1c.index('B8A') == l1c.index('B8') + 1
    assert band_names('s1_grd') == ('VV', 'VH')


def test_band_metadata():
    resolutions = {b: band_info('s2_l1c', b).resolution_m for b in band_names('s2_l1c')}
    assert {b for b, r in resolutions.items() if r == 10} == {'B2', 'B3', 'B4', 'B8'}
    assert {b for b, r in resolutions.items() if r == 60} == {'B1', 'B9', 'B10'}
    wavelengths = [band_info('s2_l1c', b).wavelength_nm for b in band_names('s2_l1c')]
    assert wavelengths == sorted(wavelengths)  # product order is spectral order
    vv = band_info('s1_grd', 'vv')
    assert vv.frequency_ghz == pytest.approx(5.405)
    assert vv.wavelength_nm * 1e-9 == pytest.approx(299_792_458 / 5.405e9)  # ~5.55 cm
    assert band_info('s2_l2a', 'B04').frequency_ghz is None


@pytest.mark.parametrize('alias,name', [('B01', 'B1'), ('b1', 'B1'), (' B12 ', 'B12'),
                                        ('b8a', 'B8A'), ('B08A', 'B8A'), ('B08', 'B8'),
                                        ('vh', 'VH')])
def test_normalize_band_name(alias, name):
    assert normalize_band_name(alias) == name


def test_band_name_from_bigearthnet_filename():
    assert band_name_from_filename('/d/S2A_MSIL2A_20170613T101031_87_48_B01.tif') == 'B1'
    assert band_name_from_filename('S2A_MSIL2A_20170613T101031_87_48_B8A.tif') == 'B8A'
    assert band_name_from_filename('S1A_IW_GRDH_1SDV_20170613T165043_33UUP_87_48_VV.tif') == 'VV'
    assert band_name_from_filename('B11.tif') == 'B11'
    with pytest.raises(BandLookupError, match='labels_metadata.json'):
        band_name_from_filename('x_labels_metadata.json')


def test_canonical_order_puts_b8a_after_b8():
    listing = sorted(['B01', 'B08', 'B8A', 'B12', 'B11', 'VV', 'extra'])
    assert canonical_band_order(listing) == ['B1', 'B8', 'B8A', 'B11', 'B12', 'VV', 'EXTRA']


def test_stats_resolve_by_name_in_any_order():
    mean, std = band_stats('bigearthnet', 's2_l2a')
    order = stored_band_order('bigearthnet', 's2_l2a')
    sub_mean, sub_std = band_stats('bigearthnet', 's2_l2a', ['B04', 'b3', 'B02'])
    assert sub_mean == [mean[order.index(b)] for b in ('B4', 'B3', 'B2')]
    assert sub_std == [std[order.index(b)] for b in ('B4', 'B3', 'B2')]
    assert resolve_stats('bigearthnet:s2_l2a', ['B4', 'B3', 'B2']) == (sub_mean, sub_std)


def test_eurosat_stores_b8a_last_and_resolves_by_name():
    order = stored_band_order('eurosat', 's2_l1c')
    assert order[-1] == 'B8A' and order[:-1] == tuple(b for b in band_names('s2_l1c') if b != 'B8A')
    mean, _ = band_stats('eurosat', 's2_l1c')
    canonical, _ = band_stats('eurosat', 's2_l1c', band_names('s2_l1c'))
    assert canonical[band_names('s2_l1c').index('B8A')] == mean[-1]
    assert sorted(canonical) == sorted(mean)
    assert resolve_band_order('eurosat:s2_l1c') == order
    assert resolve_band_order('s2_l2a') == band_names('s2_l2a')
    assert resolve_band_order(['b02', 'B8a']) == ('B2', 'B8A')


@pytest.mark.parametrize('key', sorted(k for k in DESIGN_STATS if not k.startswith('_')))
def test_numbers_equal_the_design_notes(key):
    """Every statistic equals the design notes' number (tests/data/band_stats.json), by name."""
    expected = DESIGN_STATS[key]
    assert resolve_band_order(key) == tuple(expected['bands'])
    assert resolve_stats(key, expected['bands']) == (expected['mean'], expected['std'])


@pytest.mark.parametrize('call,listed', [
    (lambda: band_names('s2'), "'s2_l1c'"),
    (lambda: resolve_stats('bigearthnett:s2_l2a'), "'bigearthnet'"),
    (lambda: resolve_stats('bigearthnet'), 'source:sensor'),
    (lambda: resolve_stats('eurosat:s2_l2a'), "'s2_l1c'"),
    (lambda: band_stats('bigearthnet', 's2_l2a', ['B10']), "'B8A'"),
    (lambda: band_info('s1_grd', 'HH'), "'VV'"),
])
def test_typos_raise_key_errors_listing_valid_choices(call, listed):
    with pytest.raises(KeyError) as info:
        call()
    assert listed in str(info.value)
    assert not str(info.value).startswith('"')  # readable, not a quoted repr


def test_s1_stats_are_negative_db():
    mean, std = resolve_stats('bigearthnet:s1_grd', ['VH', 'VV'])
    assert mean[0] < mean[1] < 0 and all(s > 0 for s in std)
    assert math.isclose(mean[1], resolve_stats('bigearthnet:s1_grd')[0][0])
