"""Tiled scene inference: same map as the whole scene at once, georeference and nodata kept."""
import json

import numpy as np
import pytest
import rasterio
import torch

from eossl.apis import init_model, predict, predict_scene
from eossl.cli import predict_scene as predict_scene_cli
from eossl.testing.scenes import make_fake_scene

from .conftest import TINY_VIT, tiny_segmentor


@pytest.fixture(scope='module')
def segmentor():
    torch.manual_seed(0)
    return init_model(tiny_segmentor(num_classes=4))


@pytest.fixture(scope='module')
def fitted_scene(tmp_path_factory):
    """256 x 320: tiles of 64, 128 and 192 px every 64 px end exactly on its edges."""
    return make_fake_scene(tmp_path_factory.mktemp('fitted') / 'scene.tif', 256, 320, seed=1)


def _nodata(scene) -> np.ndarray:
    with rasterio.open(scene) as src:
        return (src.read() == 0).all(axis=0)


def test_tiled_probs_equal_the_whole_scene_and_keep_georeference(segmentor, fitted_scene,
                                                                  tmp_path):
    """Receptive-field radius (~30 px) <= overlap / 4, and tiles that end on the scene edge
    (2 x 3 tiles of 192 every 64 px): blending must give the whole-scene map."""
    scene = fitted_scene
    whole = predict(segmentor, scene)['probs']
    out = tmp_path / 'probs.tif'
    info = predict_scene(segmentor, scene, out, tile=192, overlap=128, batch=4, probs=True,
                         progress=False)
    assert info['tiles'] == 6
    with rasterio.open(scene) as src, rasterio.open(out) as dst:
        assert (dst.crs, dst.transform, dst.shape) == (src.crs, src.transform, src.shape)
        assert dst.count == 4 and dst.dtypes[0] == 'float32' and dst.profile['tiled']
        assert dst.compression.name.lower() == 'deflate'
        tiled = dst.read()
    nodata = _nodata(scene)
    assert nodata.sum() > 100
    assert np.isnan(tiled[:, nodata]).all() and np.isfinite(tiled[:, ~nodata]).all()
    assert np.abs(tiled[:, ~nodata] - whole[:, ~nodata]).max() < 1e-4


def test_smaller_overlap_and_edge_tiles_stay_within_blending_tolerance(segmentor, scene,
                                                                       tmp_path):
    """Overlap 64 (a quarter is below the receptive field) and tiles reaching past the scene
    edge (read as the band mean): close to the whole-scene map, not equal."""
    whole = predict(segmentor, scene)['probs']
    out = tmp_path / 'probs.tif'
    assert predict_scene(segmentor, scene, out, tile=128, overlap=64, batch=3, probs=True,
                         progress=False)['tiles'] == 9
    with rasterio.open(out) as dst:
        tiled = dst.read()
    valid = ~_nodata(scene)
    diff = np.abs(tiled[:, valid] - whole[:, valid])
    assert diff.mean() < 2e-3
    assert (tiled.argmax(axis=0) == whole.argmax(axis=0))[valid].mean() > 0.995
    assert np.allclose(tiled[:, valid].sum(axis=0), 1, atol=1e-4)


def test_blending_removes_the_seams_a_hard_cut_leaves(segmentor, fitted_scene, tmp_path):
    scene = fitted_scene
    whole = predict(segmentor, scene)['probs']
    valid = ~_nodata(scene)
    errors = {}
    for overlap in (0, 64):
        out = tmp_path / f'probs_{overlap}.tif'
        predict_scene(segmentor, scene, out, tile=128 if overlap else 64, overlap=overlap,
                      probs=True, progress=False)
        with rasterio.open(out) as dst:
            errors[overlap] = np.abs(dst.read()[:, valid] - whole[:, valid]).max()
    assert errors[64] < errors[0] / 3


def test_class_ids_are_uint8_with_nodata_255(segmentor, scene, tmp_path):
    out = tmp_path / 'labels.tif'
    predict_scene(segmentor, scene, out, tile=96, overlap=32, progress=False)
    with rasterio.open(out) as dst:
        labels = dst.read(1)
        assert dst.count == 1 and dst.dtypes[0] == 'uint8' and dst.nodata == 255
    nodata = _nodata(scene)
    assert (labels[nodata] == 255).all() and (labels[~nodata] < 4).all()


def test_bands_are_picked_by_name_from_a_reordered_file(segmentor, scene, tmp_path):
    """A file with the bands reversed (and an extra one), named with --bands, gives the same map."""
    with rasterio.open(scene) as src:
        data, profile, names = src.read(), src.profile, list(src.descriptions)
    shuffled = tmp_path / 'reordered.tif'
    profile.update(count=14)
    with rasterio.open(shuffled, 'w', **profile) as dst:
        dst.write(np.concatenate([data[::-1], data[:1]]))
    order = names[::-1] + ['EXTRA']
    expected = predict(segmentor, scene)['probs']
    got = predict(segmentor, shuffled, bands=order)['probs']
    assert np.allclose(got, expected, atol=1e-6)
    with pytest.raises(ValueError, match='has 14 bands but the model needs 13'):
        predict(segmentor, shuffled)
    with pytest.raises(ValueError, match=r"needs band\(s\) \['B12'\]"):
        predict(segmentor, shuffled, bands=['X'] + order[1:])


def test_pretraining_recipe_embed_writes_a_georeferenced_feature_map_and_png(
        repo_root, scene, tmp_path):
    torch.manual_seed(0)
    recipe = repo_root / 'configs/pera/pera_vits16_s2_200e_ssl4eo.py'
    out = tmp_path / 'features.tif'
    summary = predict_scene_cli.main([
        str(recipe), 'none', str(scene), str(out), '--tile', '64', '--overlap', '32', '--embed',
        '--no-progress', '--batch', '8'])
    assert summary['stride'] == 16 and summary['channels'] == 384  # ViT-S/16
    with rasterio.open(scene) as src, rasterio.open(out) as dst:
        assert dst.crs == src.crs and dst.count == 384
        assert dst.shape == (-(-src.height // 16), -(-src.width // 16))
        assert dst.transform == src.transform @ rasterio.Affine.scale(16)
        features = dst.read()
    assert np.isfinite(features[:, 0, 0]).all()  # valid corner cell
    assert np.isnan(features[:, -1, 0]).all()  # the nodata corner
    from PIL import Image
    png = np.asarray(Image.open(summary['pca_png']))
    assert png.shape == (*features.shape[1:], 3) and png.std() > 0


def test_pretraining_recipe_refuses_predict_without_embed(repo_root, scene, tmp_path):
    model = init_model(repo_root / 'configs/pera/pera_vits16_s2_200e_ssl4eo.py',
                       cfg_options={'model.backbone.arch': TINY_VIT})
    with pytest.raises(ValueError, match='use --embed'):
        predict_scene(model, scene, tmp_path / 'x.tif', tile=64, overlap=16, progress=False)
    with pytest.raises(ValueError, match='multiples of the model.s patch size 16'):
        predict_scene(model, scene, tmp_path / 'x.tif', tile=60, overlap=16, embed=True)


def test_classification_recipe_paints_each_tile_with_its_scores(repo_root, scene, tmp_path):
    options = {'model.backbone.arch': TINY_VIT, 'model.backbone.img_size': 64,
               'model.head.in_channels': 32}
    torch.manual_seed(0)
    model = init_model(repo_root / 'configs/benchmarks/classification/vits16_linear_eurosat.py',
                       cfg_options=options)
    out = tmp_path / 'scores.tif'
    predict_scene(model, scene, out, tile=64, overlap=32, probs=True, progress=False)
    with rasterio.open(scene) as src, rasterio.open(out) as dst:
        scores = dst.read()
        first_tile = src.read(window=rasterio.windows.Window(0, 0, 64, 64))
    assert scores.shape[0] == 10 and np.allclose(np.nansum(scores, axis=0)[0, 0], 1, atol=1e-5)
    # the top-left 32 x 32 px belong to the first tile alone
    expected = predict(model, first_tile.astype(np.float32))['scores']
    assert np.allclose(scores[:, :32, :32], expected[:, None, None], atol=1e-5)


def test_outputs_carry_the_recipes_class_names_and_a_colour_table(repo_root, scene, tmp_path):
    """--probs bands were class_0 … class_9 and the class map had no colours."""
    from eossl.datasets.eurosat import EUROSAT_CLASSES
    options = {'model.backbone.arch': TINY_VIT, 'model.backbone.img_size': 64,
               'model.head.in_channels': 32}
    model = init_model(repo_root / 'configs/benchmarks/classification/vits16_linear_eurosat.py',
                       cfg_options=options)
    probs, labels = tmp_path / 'probs.tif', tmp_path / 'labels.tif'
    predict_scene(model, scene, probs, tile=64, overlap=0, batch=16, probs=True, progress=False)
    predict_scene(model, scene, labels, tile=64, overlap=0, batch=16, progress=False)
    with rasterio.open(probs) as dst:
        assert dst.descriptions == EUROSAT_CLASSES
    with rasterio.open(labels) as dst:
        colours = dst.colormap(1)
        assert json.loads(dst.tags(1)['classes']) == list(EUROSAT_CLASSES)
    assert len({colours[k] for k in range(10)}) == 10  # one colour per class
    assert all(colours[k][3] == 255 for k in range(10)) and colours[255][3] == 0  # nodata clear
