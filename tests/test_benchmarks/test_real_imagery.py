"""benchmarks/real_data.py, real_probe.py and real_imagery.py on tiny generated GeoTIFFs: the
source layouts are read in L1C band order (EuroSAT's B8A-last file order, L2A's missing B10, the
baseline-04.00 offset), a missing cache is refused with the command that builds it, the L2A → L1C
mapping gives equal z-scores, windows avoid nodata, and the cross-validated probe separates
separable features; co-registered S1 is paired with its S2 scene and cut at the same place; each
method's real-imagery layout reads back what was written, normalised as the probe normalises
EuroSAT."""
import numpy as np
import pytest
import torch

from .test_common import _module

real_data = _module('real_data')
real_probe = _module('real_probe')
real_imagery = _module('real_imagery')
real_layouts = _module('real_layouts')


def _write(path, array: np.ndarray) -> None:
    import rasterio
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, 'w', driver='GTiff', width=array.shape[-1], height=array.shape[-2],
                       count=array.shape[0], dtype=array.dtype) as dst:
        dst.write(array)


def _bands(folder, names, side, value, prefix='') -> None:
    """One-band files ``<prefix><name>.tif`` (10 m side ``side``); band k holds value(k)."""
    for k, name in enumerate(names):
        res = 6 if name in ('B1', 'B01', 'B9', 'B09', 'B10') else (
            1 if name in ('B2', 'B02', 'B3', 'B03', 'B4', 'B04', 'B8', 'B08') else 2)
        _write(folder / f'{prefix}{name}.tif',
               np.full((1, side // res, side // res), value(k), np.uint16))


def _sources(tmp_path):
    tiffs, eurosat = tmp_path / 'tiffs', tmp_path / 'eurosat'
    l2a = ('B01', 'B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B09', 'B11', 'B12')
    _bands(tiffs / 'Major-TOM-Core/S2L2A/0U/0U_1R/S2A_MSIL2A_20220706T0_N0400_R007_T33NZA',
           l2a, 12, lambda k: 1500 + k)
    _bands(tiffs / 'SSL4EO-S12/s2c/0000001/20200604T054639_T43RCP',
           real_data.L1C_BANDS, 12, lambda k: 100 * (k + 1))
    s1 = tiffs / 'SSL4EO-S12/s1/0000001/S1A_IW_GRDH_1SDV_20200607T010800_X'
    for k, pol in enumerate(('VV', 'VH')):
        _write(s1 / f'{pol}.tif', np.full((1, 12, 12), -10.0 - 5 * k, np.float32))
    for cls, n in (('Forest', 1), ('Forest', 2), ('SeaLake', 7)):
        file_order = np.arange(13, dtype=np.uint16)[:, None, None] + 10 * n
        _write(eurosat / 'train' / cls / f'{cls}_{n}.tif', np.broadcast_to(
            file_order, (13, 4, 4)).copy())
    return tiffs, eurosat


def test_assemble_reads_every_layout_in_l1c_order(tmp_path):
    tiffs, eurosat = _sources(tmp_path)
    out = real_data.assemble(tiffs, eurosat, tmp_path / 'cache.npz', bigearthnet_common=False)
    data = real_data.load(out)
    level, cell = data['scenes']['majortom/0U_1R']
    assert level == 'L2A' and cell.shape == (13, 12, 12)
    b10 = real_data.L1C_BANDS.index('B10')
    assert (cell[b10] == real_data.B10_FILL).all()  # L2A has no cirrus band
    # stored 1500 + k with the baseline-04.00 offset of 1000 removed; k in the L2A file order
    assert cell[real_data.L1C_BANDS.index('B2'), 0, 0] == 501
    assert cell[real_data.L1C_BANDS.index('B12'), 0, 0] == 511
    level, ssl4eo = data['scenes']['ssl4eo_s2c/0000001/20200604']
    assert level == 'L1C' and ssl4eo[:, 5, 5].tolist() == [100 * (k + 1) for k in range(13)]
    # the S1 season sits beside the S2 season of its location; the Major-TOM cell has none
    assert list(data['s1']) == ['ssl4eo_s2c/0000001/20200604']
    assert data['s1']['ssl4eo_s2c/0000001/20200604'][:, 0, 0].tolist() == [-10.0, -15.0]
    # EuroSAT stores B8A last: in L1C order it moves to index 8
    assert data['eurosat'].shape == (3, 13, 4, 4)
    first = data['eurosat'][0, :, 0, 0].tolist()
    assert first[8] == 10 + 12 and first[9] == 10 + 8 and first[12] == 10 + 11
    assert data['eurosat_label'].tolist() == [1, 1, 9]


def test_missing_sources_and_cache_are_refused_with_the_fix(tmp_path):
    with pytest.raises(SystemExit, match='benchmarks/real_data.py --rico-hdl'):
        real_data.load(tmp_path / 'absent.npz')
    with pytest.raises(FileNotFoundError, match='no Sentinel-2 scene'):
        real_data.rico_hdl_scenes(tmp_path)
    (tmp_path / 'Other').mkdir()
    with pytest.raises(FileNotFoundError, match='no EuroSAT-MS class folders'):
        real_data.eurosat_patches(tmp_path)


def test_l2a_to_l1c_gives_the_l2a_z_scores_under_the_l1c_statistics():
    from eossl.datasets.bands import band_stats
    rng = np.random.default_rng(0)
    window = rng.integers(1500, 4000, (13, 6, 6)).astype(np.uint16)
    mapped = real_imagery.l2a_to_l1c(window).astype(float)
    for band in ('B2', 'B9', 'B12'):
        k = real_data.L1C_BANDS.index(band)
        (m1,), (s1,) = band_stats('ssl4eo_s12', 's2_l1c', [band])
        (m2,), (s2,) = band_stats('ssl4eo_s12', 's2_l2a', [band])
        assert np.allclose((mapped[k] - m1) / s1, (window[k] - m2) / s2, atol=2 / s1)
    assert (mapped[real_data.L1C_BANDS.index('B10')] == window[10]).all()


def test_windows_avoid_nodata_and_follow_the_seed():
    scene = np.ones((13, 30, 30), np.uint16)
    scene[:, :, :20] = 0  # only the right 10 columns are valid
    scenes = {'a': ('L1C', scene)}
    windows = real_imagery.draw_windows(scenes, 5, seed=1, size=12)['s2']
    assert windows.shape == (5, 13, 12, 12)
    assert all((w == 0).any(0).mean() <= 0.5 for w in windows)
    assert (windows == real_imagery.draw_windows(scenes, 5, seed=1, size=12)['s2']).all()


def test_probe_cv_separates_separable_features_and_not_noise():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 10)
    separable = rng.normal(0, 0.1, (30, 4)) + np.eye(3, 4)[labels] * 3
    out = real_probe.probe_cv(separable, labels)
    assert out['linear_acc'] == 100 and out['knn_acc'] == 100 and len(out['C']) == 5
    assert real_probe.probe_cv(rng.normal(size=(30, 4)), labels)['linear_acc'] < 70
    assert real_probe.effective_rank(np.outer(rng.normal(size=30), np.ones(4))) < 1.01


def test_bigearthnet_common_s1_is_paired_with_its_s2_patch():
    scenes, s1 = real_data.bigearthnet_common_scenes()
    assert len(s1) == 6 and set(s1) <= set(scenes)
    assert all(s1[n].shape == (2, *scenes[n][1].shape[1:]) for n in s1)
    assert all(-40 < np.median(a) < 5 for a in s1.values())  # backscatter in dB


def test_s1_windows_come_only_from_scenes_with_s1_at_the_same_place():
    grid = np.arange(1, 401, dtype=np.uint16).reshape(20, 20)
    scenes = {'a': ('L1C', np.ones((13, 60, 60), np.uint16)),
              'b': ('L1C', np.broadcast_to(grid, (13, 20, 20)).copy())}
    radar = {'b': np.stack([grid, -grid.astype(np.float32)]).astype(np.float32)}
    out = real_imagery.draw_windows(scenes, 6, seed=0, size=8, s1=radar)
    assert out['s1'].shape == (6, 2, 8, 8)
    assert (out['s2'][:, 0] == out['s1'][:, 0]).all() and (out['s1'][:, 1] < 0).all()
    assert (real_imagery.draw_windows(scenes, 6, seed=0, size=8)['s2'] == 1).any()
    with pytest.raises(ValueError, match='with co-registered S1'):
        real_imagery.draw_windows(scenes, 1, seed=0, size=30, s1=radar)


def _read_back(name: str, tmp_path, windows: dict) -> tuple:
    """The recipe built on the written windows, and its first sample through the loading step."""
    from mmengine.registry import init_default_scope

    from eossl.registry import DATASETS
    init_default_scope('eossl')
    written = real_layouts.REAL_METHODS[name].write(tmp_path / 'data', windows, 0)
    cfg = real_imagery.build_cfg(name, written, 0, tmp_path / 'work', None)
    dataset = dict(cfg.train_dataloader.dataset)
    dataset['pipeline'] = [dict(dataset['pipeline'][0]['transform'])]
    return cfg, DATASETS.build(dataset)


def test_mpmae_h5_reads_back_z_scored_as_the_probe_z_scores_eurosat(tmp_path):
    rng = np.random.default_rng(0)
    s2 = rng.integers(1, 5000, (3, 13, 12, 12)).astype(np.uint16)
    cfg, dataset = _read_back('mpmae', tmp_path, {'s2': s2})
    assert cfg.model.heads.keys() == {'sentinel2'}  # S2 is the only target
    assert len(dataset) == 3
    loaded = dataset[1]['sentinel2']
    probe = real_layouts.mmearth_zscore(torch.from_numpy(s2[1:2].astype(np.float32)))[0]
    assert loaded.shape == (12, 12, 12) and np.allclose(loaded, probe.numpy(), atol=1e-4)


@pytest.mark.parametrize('name', ['dual_simclr', 'decur'])
def test_s1s2_layouts_read_back_and_the_probe_uses_the_recipe_s2_scaling(name, tmp_path):
    from eossl.datasets.bands import band_stats
    rng = np.random.default_rng(0)
    windows = {'s2': rng.integers(1, 12000, (2, 13, 12, 12)).astype(np.uint16),
               's1': rng.uniform(-30, 0, (2, 2, 12, 12)).astype(np.float32)}
    cfg, dataset = _read_back(name, tmp_path, windows)
    sample = dataset[0]
    assert len(dataset) == 2
    found = [w for w in range(2) if np.allclose(sample['s1'], windows['s1'][w])]
    ten_m = [1, 2, 3, 7]  # SSL4EO-S12 stores 20 / 60 m bands coarser: only 10 m ones are exact
    assert len(found) == 1 and np.allclose(sample['s2'][ten_m], windows['s2'][found[0]][ten_m])
    steps = {'dual_simclr': ('ClipValues', 'PerSampleMaxNormalize'),
             'decur': ('TwoSigmaScale',)}[name]
    x = real_layouts.s2_normalised(cfg, steps, torch.from_numpy(windows['s2'].astype(np.float32)))
    if name == 'dual_simclr':  # clipped to [0, 10000], each band divided by its maximum
        ref = windows['s2'].clip(0, 10000).astype(np.float32)
        assert np.allclose(x.numpy(), ref / ref.max((2, 3), keepdims=True))
    else:  # two-sigma scaling with the SSL4EO-S12 L1C statistics
        (mean,), (std,) = band_stats('ssl4eo_s12', 's2_l1c', ['B4'])
        ref = ((windows['s2'][:, 3] - (mean - 2 * std)) / (4 * std)).clip(0, 1)
        assert np.allclose(x[:, 3].numpy(), ref, atol=1e-5)
