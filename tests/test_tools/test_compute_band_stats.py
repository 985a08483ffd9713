"""eossl-compute-band-stats: streaming statistics and the CLI."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from mmengine.dataset import BaseDataset
from rasterio.transform import from_origin

from eossl.registry import DATASETS


@pytest.fixture(scope='module')
def tool():
    return importlib.import_module('eossl.cli.compute_band_stats')


@DATASETS.register_module(name='BandStatsTestFiles', force=True)
class BandStatsTestFiles(BaseDataset):
    """One sample per listed file, modality 's2' (a stand-in for an eossl dataset)."""

    def __init__(self, files: list[str], **kwargs) -> None:
        self.files = files
        super().__init__(serialize_data=False, **kwargs)

    def load_data_list(self) -> list[dict]:
        return [{'sample_id': Path(f).stem, 'paths': {'s2': f}} for f in self.files]


def test_streaming_equals_numpy_over_all_pixels(tool):
    rng = np.random.default_rng(0)
    arrays = [(10000 + rng.normal(0, 3, (3, 5, 5))).astype(np.float32) for _ in range(4)]
    arrays[1][0, :2] = np.nan
    arrays[2][2] = np.nan  # a band entirely nodata in one sample
    samples = [{'img': a, 'img_bands': ('B2', 'B3', 'B4'), 's1': -a[:2],
                's1_bands': ('VV', 'VH')} for a in arrays]
    stats = tool.compute_band_stats(iter(samples), log_interval=2)
    assert set(stats) == {'img', 's1'} and list(stats['img']) == ['B2', 'B3', 'B4']
    pixels = np.concatenate([a.reshape(3, -1) for a in arrays], axis=1).astype(np.float64)
    for i, band in enumerate(('B2', 'B3', 'B4')):
        assert stats['img'][band]['count'] == np.isfinite(pixels[i]).sum()
        assert stats['img'][band]['mean'] == pytest.approx(np.nanmean(pixels[i]), rel=1e-12)
        assert stats['img'][band]['std'] == pytest.approx(np.nanstd(pixels[i]), rel=1e-9)
    assert stats['s1']['VV']['mean'] == pytest.approx(-stats['img']['B2']['mean'])
    only_s1 = tool.compute_band_stats(samples, keys=['s1'])
    assert list(only_s1) == ['s1']


def test_band_names_must_agree_across_samples(tool):
    samples = [{'img': np.ones((1, 2, 2)), 'img_bands': ('B2',), 'sample_id': 'a'},
               {'img': np.ones((1, 2, 2)), 'img_bands': ('B3',), 'sample_id': 'b'}]
    with pytest.raises(ValueError, match="'b'.*'B3'.*'B2'"):
        tool.compute_band_stats(samples)


def test_snippet_is_a_pasteable_config_line(tool):
    stats = {'s1': {'VV': {'mean': -12.5, 'std': 5.0, 'count': 4}},
             's2': {'B2': {'mean': 900.0, 'std': 300.0, 'count': 4},
                    'B3': {'mean': 800.0, 'std': 250.0, 'count': 4}}}
    namespace: dict = {}
    exec(tool.config_snippet(stats), namespace)
    assert namespace['data_preprocessor']['mean'] == {'s1': [-12.5], 's2': [900.0, 800.0]}
    exec(tool.config_snippet({'s2': stats['s2']}), namespace)
    assert namespace['data_preprocessor']['std'] == [300.0, 250.0]


def _write(path: Path, data: np.ndarray) -> str:
    with rasterio.open(path, 'w', driver='GTiff', height=data.shape[1], width=data.shape[2],
                       count=data.shape[0], dtype=data.dtype, crs='EPSG:32633', nodata=0,
                       transform=from_origin(0, 0, 10, 10)) as dst:
        dst.write(data)
        for i, name in enumerate(('B2', 'B3'), start=1):
            dst.set_band_description(i, name)
    return str(path)


def test_cli_reads_a_recipe_dataset_with_only_its_loaders(tool, tmp_path, capsys):
    rng = np.random.default_rng(1)
    arrays = [rng.integers(1, 3000, (2, 6, 6)).astype(np.uint16) for _ in range(3)]
    arrays[0][1, 0, :] = 0  # declared nodata
    files = [_write(tmp_path / f's{i}.tif', a) for i, a in enumerate(arrays)]
    config = tmp_path / 'recipe.py'
    config.write_text(
        f"train_dataloader = dict(batch_size=2, dataset=dict(type='BandStatsTestFiles', "
        f"files={files!r}, pipeline=[dict(type='LoadMultiBandImage', modality='s2', "
        f"out_key='s2'), dict(type='EORandomCrop', size=2, keys=('s2',))]))\n")
    out = tmp_path / 'stats.json'
    tool.main([str(config), '--out', str(out), '--log-interval', '1'])
    written = json.loads(out.read_text())
    assert list(written) == ['B2', 'B3']  # one key: {band: {mean, std, count}}
    pixels = np.concatenate([a.reshape(2, -1) for a in arrays], axis=1).astype(np.float64)
    valid = pixels[1][pixels[1] != 0]
    assert written['B3']['count'] == valid.size == 3 * 36 - 6  # all pixels: the crop was dropped
    assert written['B3']['mean'] == pytest.approx(valid.mean())
    assert written['B2']['std'] == pytest.approx(pixels[0].std())
    assert "data_preprocessor = dict(type='EODataPreprocessor'" in capsys.readouterr().out

    tool.main([str(config), '--modality', 's2', '--bands', 'B3', '--max-samples', '2',
               '--out', str(out)])
    assert json.loads(out.read_text())['B3']['count'] == 2 * 36 - 6


@pytest.mark.parametrize('order_from', ['model', 'loader'])
def test_modality_stats_follow_the_recipes_band_order_not_the_files(tool, tmp_path, capsys,
                                                                    order_from):
    """A B8 B2 B4 B3 file: the printed mean/std must be in the model's B2 B3 B4 B8 order (they
    were in the file's, and pasting them normalised the wrong bands)."""
    from eossl.testing import write_geotiff
    levels = {'B8': 4000, 'B2': 1000, 'B4': 3000, 'B3': 2000}
    pixels = np.stack([np.full((4, 4), v, np.uint16) for v in levels.values()])
    path = write_geotiff(tmp_path / 'a.tif', pixels, band_names=tuple(levels))
    model_order = ['B2', 'B3', 'B4', 'B8']
    model = f'model = dict(backbone=dict(bands={model_order!r}))\n'
    loader = f"dict(type='LoadMultiBandImage', modality='s2', bands={model_order!r})"
    config = tmp_path / 'recipe.py'
    config.write_text(f"{model if order_from == 'model' else ''}"
                      "train_dataloader = dict(dataset=dict(type='BandStatsTestFiles', "
                      f"files=[{str(path)!r}], "
                      f"pipeline=[{loader if order_from == 'loader' else ''}]))\n")
    out = tmp_path / 'stats.json'
    tool.main([str(config), '--modality', 's2', '--out', str(out)])
    written = json.loads(out.read_text())
    assert list(written) == model_order
    assert [written[b]['mean'] for b in model_order] == [1000, 2000, 3000, 4000]
    assert "mean=[1000.0, 2000.0, 3000.0, 4000.0]" in capsys.readouterr().out
