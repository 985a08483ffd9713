"""SceneWindows: random windows drawn from (seed, epoch, index), exact on resume and across
persistent workers; grid windows; valid-pixel threshold; georeference; GDAL virtual paths."""
import zipfile

import numpy as np
import pytest
import rasterio
from mmengine.config import Config
from rasterio.windows import Window
from torch.utils.data import DataLoader

from eossl.datasets import DatasetEpochSampler, InvalidSampleError, SceneWindows
from eossl.datasets.transforms import LoadMultiBandImage
from eossl.registry import DATASETS
from eossl.testing.scenes import make_fake_scene


@pytest.fixture(scope='module')
def scenes(tmp_path_factory):
    """Two scenes of different sizes, 30 % of each nodata (a corner triangle)."""
    root = tmp_path_factory.mktemp('scenes')
    make_fake_scene(root / 'a.tif', 300, 340, seed=1, nodata_fraction=0.3)
    make_fake_scene(root / 'b.tif', 200, 180, seed=2, nodata_fraction=0.3)
    return root


def _ids(loader) -> list[str]:
    return [sample_id for batch in loader for sample_id in batch]


def _windows(dataset, epoch: int) -> list[str]:
    dataset.set_epoch(epoch)
    return [dataset[i]['sample_id'] for i in range(len(dataset))]


def test_random_windows_are_a_function_of_seed_epoch_and_index(scenes):
    build = lambda **kw: SceneWindows(scenes, size=64, windows_per_epoch=12, **kw)  # noqa: E731
    first, again = build(), build()
    assert _windows(first, 3) == _windows(again, 3)
    assert _windows(first, 3) != _windows(first, 4)
    assert _windows(first, 3) != _windows(build(seed=1), 3)
    assert len({name.split(':')[0] for name in _windows(first, 0) + _windows(first, 1)}) == 2


def test_windows_keep_their_georeference_and_pixels(scenes):
    dataset = SceneWindows(scenes, size=64, windows_per_epoch=4, min_valid_fraction=0,
                           pipeline=[dict(type='LoadMultiBandImage', bands=['B4', 'B8'])])
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        out = dataset[i]
        row, col, h, w = out['window']
        with rasterio.open(out['scene']) as src:
            expected = src.read([4, 8], window=Window(col, row, w, h)).astype(np.float32)
            expected[expected == 0] = np.nan
            assert out['crs'] == src.crs.to_string()
            x, y = src.transform @ (col, row)
        assert out['transform'][2] == x and out['transform'][5] == y
        assert out['transform'][0] == 10.0 and info['sample_id'] == out['sample_id']
        np.testing.assert_array_equal(out['img'], expected)
        assert out['img_bands'] == ('B4', 'B8')


def test_min_valid_fraction_redraws_mostly_nodata_windows(scenes):
    dataset = SceneWindows(scenes, size=64, windows_per_epoch=30, min_valid_fraction=0.95)
    loader = LoadMultiBandImage(bands=['B2'])
    for i in range(len(dataset)):
        img = loader.transform(dataset[i])['img']
        assert np.isfinite(img).mean() >= 0.95
    # every 300 px window of a.tif (300 x 340) touches its nodata corner
    hopeless = SceneWindows('', scenes=[str(scenes / 'a.tif')], size=300, windows_per_epoch=1,
                            min_valid_fraction=1.0, max_attempts=2)
    with pytest.raises(InvalidSampleError, match='no draw of 2 had 100% valid pixels'):
        hopeless[0]


def test_exact_on_resume_with_persistent_workers(scenes):
    """Epoch 1 of an uninterrupted run (2 persistent workers) equals epoch 1 of a fresh,
    'resumed' process; the sampler carries the epoch to the workers."""
    def run(epochs):
        dataset = SceneWindows(scenes, size=32, windows_per_epoch=8, min_valid_fraction=0.2)
        sampler = DatasetEpochSampler(dataset, shuffle=True, seed=3)
        loader = DataLoader(dataset, batch_size=2, sampler=sampler, num_workers=2,
                            persistent_workers=True,
                            collate_fn=lambda batch: [item['sample_id'] for item in batch])
        seen = {}
        for epoch in epochs:
            sampler.set_epoch(epoch)
            seen[epoch] = _ids(loader)
        return seen
    uninterrupted = run([0, 1])
    resumed = run([1])
    assert uninterrupted[1] == resumed[1]
    assert uninterrupted[0] != uninterrupted[1]
    assert len(set(uninterrupted[1])) == 8


def test_grid_mode_skips_windows_below_the_valid_fraction(scenes):
    every = SceneWindows(scenes, size=100, mode='grid', min_valid_fraction=0)
    assert len(every) == 3 * 3 + 2 * 1  # a: 300x340, b: 200x180 at stride 100
    valid = SceneWindows(scenes, size=100, mode='grid', min_valid_fraction=0.9)
    assert 0 < len(valid) < len(every)
    assert _windows(valid, 0) == _windows(valid, 7)  # the grid does not change per epoch


def test_gdal_virtual_paths_and_a_list_file(scenes, tmp_path):
    archive = tmp_path / 'scenes.zip'
    with zipfile.ZipFile(archive, 'w', compression=zipfile.ZIP_STORED) as zf:
        zf.write(scenes / 'b.tif', 'b.tif')
    listing = tmp_path / 'scenes.txt'
    listing.write_text(f'# one GDAL path per line\n/vsizip/{archive}/b.tif\n')
    dataset = SceneWindows('', scenes=str(listing), size=64, windows_per_epoch=3,
                           pipeline=[dict(type='LoadMultiBandImage', bands=['B2'])])
    assert dataset[0]['scene'] == f'/vsizip/{archive}/b.tif'
    assert dataset[0]['img'].shape == (1, 64, 64)
    with pytest.raises(FileNotFoundError, match='no usable scene'):
        SceneWindows('', scenes=[str(tmp_path / 'absent.tif')], skip_invalid=True)


def test_pera_scenes_recipe_trains_on_windows(repo_root, scenes):
    cfg = Config.fromfile(repo_root / 'configs/pera/pera_vits16_s2_scenes.py')
    loader_cfg = cfg.train_dataloader
    assert loader_cfg.sampler.type == 'DatasetEpochSampler'
    dataset = DATASETS.build(dict(loader_cfg.dataset, data_root=str(scenes),
                                  windows_per_epoch=2))
    sample = dataset[0]
    views = sample['inputs']
    # student + teacher view of 2 global (224 px) and 8 local (96 px) crops
    assert len(views) == 20 and tuple(views[0].shape) == (13, 224, 224)
    assert tuple(views[-1].shape) == (13, 96, 96)
