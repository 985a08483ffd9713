"""``eossl-predict-scene`` on inputs and outputs that a long batch of scenes meets: each refused
before the model runs, or handled exactly."""
import numpy as np
import pytest
import rasterio
import torch

from eossl.apis import init_model, predict_scene, scene
from eossl.apis.scene_output import OutputRefusedError
from eossl.testing.scenes import make_fake_scene

from ..test_apis.conftest import tiny_segmentor
from .small_disk import small_disk


@pytest.fixture(scope='module')
def segmentor():
    torch.manual_seed(0)
    return init_model(tiny_segmentor(num_classes=4, width=8))


@pytest.fixture(scope='module')
def fake_scene(tmp_path_factory):
    return make_fake_scene(tmp_path_factory.mktemp('scene') / 'scene.tif', 96, 128)


@pytest.fixture
def forwards(monkeypatch):
    """Counts the model's forward passes over tile batches."""
    calls = []
    original = scene.predict_batch
    monkeypatch.setattr(scene, 'predict_batch',
                        lambda model, x: calls.append(len(x)) or original(model, x))
    return calls


def refused(segmentor, source, out, forwards, **kwargs) -> str:
    with pytest.raises((OutputRefusedError, ValueError)) as error:
        predict_scene(segmentor, source, out, tile=64, overlap=16, progress=False, **kwargs)
    assert forwards == []  # nothing computed
    return str(error.value)


def test_an_existing_output_is_refused_unless_overwrite(segmentor, fake_scene, tmp_path,
                                                        forwards):
    out = tmp_path / 'map.tif'
    out.write_bytes(b'last week')
    assert refused(segmentor, fake_scene, out, forwards) == (
        f'{out} exists; pass --overwrite (overwrite=True) to replace it, or choose another '
        'output')
    assert out.read_bytes() == b'last week'
    predict_scene(segmentor, fake_scene, out, tile=64, overlap=16, progress=False,
                  overwrite=True)
    with rasterio.open(out) as dst:
        assert dst.shape == (96, 128)


def test_a_missing_or_read_only_output_folder_is_refused_before_compute(
        segmentor, fake_scene, tmp_path, forwards):
    missing = tmp_path / 'no' / 'map.tif'
    assert refused(segmentor, fake_scene, missing, forwards) == (
        f'output folder {missing.parent} does not exist; create it first')
    with small_disk(tmp_path / 'ro', 64, read_only=True) as folder:
        message = refused(segmentor, fake_scene, folder / 'map.tif', forwards)
        assert message.startswith(f'cannot write into output folder {folder}: Read-only file '
                                  'system (')
        assert message.endswith(' free); nothing was computed')


def test_a_band_count_mismatch_is_refused_before_compute(segmentor, tmp_path, forwards):
    twelve = make_fake_scene(tmp_path / 'l2a.tif', 64, 64,
                             bands=[f'B{i}' for i in range(12)])
    with rasterio.open(twelve, 'r+') as src:  # no band names: the count decides
        for band in range(1, 13):
            src.set_band_description(band, '')
    message = refused(segmentor, twelve, tmp_path / 'map.tif', forwards)
    assert message.startswith(f'{twelve}: has 12 bands but the model needs 13 ')
    assert not (tmp_path / 'map.tif').exists()


def test_an_all_nodata_scene_writes_nodata_without_running_the_model_per_tile(
        segmentor, fake_scene, tmp_path, forwards):
    empty = tmp_path / 'empty.tif'
    with rasterio.open(fake_scene) as src:
        profile = src.profile
        names = src.descriptions
    with rasterio.open(empty, 'w', **profile) as dst:
        dst.write(np.zeros((profile['count'], 96, 128), profile['dtype']))  # nodata 0
        dst.descriptions = names
    out = tmp_path / 'map.tif'
    info = predict_scene(segmentor, empty, out, tile=64, overlap=16, batch=2, progress=False)
    assert (info['tiles'], info['valid_tiles']) == (6, 0)
    assert len(forwards) <= 1  # at most the first batch, to learn the output's channels
    with rasterio.open(out) as dst:
        assert dst.shape == (96, 128) and (dst.read(1) == dst.nodata).all()


def test_a_scene_smaller_than_one_tile_gives_its_own_grid(segmentor, tmp_path, forwards):
    small = make_fake_scene(tmp_path / 'small.tif', 40, 52)
    out = tmp_path / 'map.tif'
    info = predict_scene(segmentor, small, out, tile=64, overlap=16, progress=False)
    assert info['tiles'] == 1 and forwards == [1]
    with rasterio.open(small) as src, rasterio.open(out) as dst:
        assert (dst.shape, dst.transform, dst.crs) == ((40, 52), src.transform, src.crs)
        nodata = (src.read() == 0).all(axis=0)
        labels = dst.read(1)
    assert (labels[nodata] == 255).all() and (labels[~nodata] < 4).all()
