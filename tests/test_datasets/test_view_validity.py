"""Per-view validity: random crops of a scene-edge tile (97 % nodata) no longer reach the model
as all-nodata views; each redrawn view is counted and logged, bounded by ``max_redraws``."""
import numpy as np
import pytest

from eossl.datasets.errors import InvalidSampleError
from eossl.datasets.transforms import AlignedMultiViews
from eossl.datasets.transforms.geometric import EORandomCrop, EORandomResizedCrop

SIZE = 264


def edge_tile() -> np.ndarray:
    """13 bands, valid only in a 46 x 46 corner: 3.0 % valid, 97 % nodata (NaN)."""
    image = np.full((13, SIZE, SIZE), np.nan, dtype=np.float32)
    image[:, :46, :46] = np.random.default_rng(0).random((13, 46, 46))
    assert abs(np.isfinite(image[0]).mean() - 0.03) < 0.001
    return image


def views(min_valid_fraction: float) -> list[np.ndarray]:
    """PerA's 2 global + 18 local slots, student and teacher: 40 views of the edge tile."""
    crop = dict(type='EORandomResizedCrop', min_valid_fraction=min_valid_fraction)
    multi = AlignedMultiViews(global_crop=dict(crop, size=64, scale=(0.4, 1.0)),
                              local_crop=dict(crop, size=32, scale=(0.05, 0.4)),
                              num_global=2, num_local=18)
    np.random.seed(0)
    return multi({'img': edge_tile(), 'sample_id': 'edge'})['img']


def nodata_only(view: np.ndarray) -> bool:
    return not np.isfinite(view).all(axis=0).any()


def test_without_the_option_no_view_is_all_nodata_either():
    # the official draws left 31 of 40 views nodata everywhere (all fill value after filling)
    out = views(0.0)
    assert len(out) == 40 and not any(map(nodata_only, out))
    assert np.mean([np.isfinite(v).all(axis=0).mean() for v in out]) < 0.5  # no 0.5 minimum


def test_an_all_nodata_view_is_refused_at_every_setting_naming_sample_and_file():
    image = np.full((2, 64, 64), np.nan, dtype=np.float32)
    for crop in (EORandomCrop(size=16), EORandomResizedCrop(size=16, min_valid_fraction=0.3)):
        with pytest.raises(InvalidSampleError, match=r"sample 'tile_7': .* found no valid pixel "
                           r"in 'img' read from /data/s2/tile_7\.tif \(min_valid_fraction="):
            crop({'img': image.copy(), 'sample_id': 'tile_7',
                  'paths': {'s2': '/data/s2/tile_7.tif'}})


def test_with_the_option_no_view_is_all_nodata():
    out = views(0.5)
    assert len(out) == 40 and not any(map(nodata_only, out))

    def mean_valid(views_):
        return np.mean([np.isfinite(v).all(axis=0).mean() for v in views_])
    assert mean_valid(out) > 2 * mean_valid(views(0.0))  # redraws keep the most valid view


def test_redraws_are_counted_and_logged(monkeypatch):
    from eossl.datasets.transforms import geometric
    messages = []
    monkeypatch.setattr(geometric, 'print_log', lambda message, **kw: messages.append(message))
    crop = EORandomResizedCrop(size=32, scale=(0.05, 0.4), min_valid_fraction=0.5)
    np.random.seed(0)
    for _ in range(5):
        crop({'img': edge_tile(), 'sample_id': 'edge'})
    assert crop.redrawn_views >= 4
    logged = '\n'.join(messages)
    assert "EORandomResizedCrop: redrew a view of sample 'edge' whose valid-pixel fraction " \
        '0.00 < min_valid_fraction=0.5 (' in logged
    assert f'{crop.redrawn_views} views redrawn so far)' in logged


def test_one_valid_pixel_is_found_and_an_all_nodata_image_is_invalid():
    image = np.full((2, 64, 64), np.nan, dtype=np.float32)
    image[:, 50, 3] = 1.0  # one valid pixel: uniform 16 px crops cover it 1 time in 16
    crop = EORandomCrop(size=16, min_valid_fraction=0.5, max_redraws=3)
    np.random.seed(1)
    for _ in range(10):
        assert np.isfinite(crop({'img': image.copy(), 'sample_id': 'x'})['img']).any()
    with pytest.raises(InvalidSampleError, match=r"sample 'x': EORandomCrop found no valid "
                       r"pixel in 'img' \(min_valid_fraction=0\.5\): every pixel is nodata"):
        crop({'img': np.full((2, 64, 64), np.nan, np.float32), 'sample_id': 'x'})


def test_valid_images_draw_exactly_as_without_the_option():
    image = np.random.default_rng(0).random((3, 40, 40)).astype(np.float32)
    outs = []
    for fraction in (0.0, 0.9):
        np.random.seed(3)
        crop = EORandomResizedCrop(size=16, min_valid_fraction=fraction)
        outs.append([crop({'img': image})['img'] for _ in range(3)])
    assert all(np.array_equal(a, b) for a, b in zip(*outs))


def _random_crops(node):
    """Every random-crop cfg dict inside ``node`` (pipelines, AlignedMultiViews slots)."""
    if isinstance(node, dict):
        if str(node.get('type', '')).split('.')[-1] in ('EORandomCrop', 'EORandomResizedCrop'):
            yield node
        for value in node.values():
            yield from _random_crops(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _random_crops(value)


def test_every_recipe_turns_the_view_validity_check_on():
    from pathlib import Path

    from mmengine.config import Config
    repo = Path(__file__).resolve().parents[2]
    recipes = [p for folder in ('configs', 'projects') for p in (repo / folder).rglob('*.py')
               if '_base_' not in p.parts and 'configs' in p.parts]
    off = []
    for recipe in recipes:
        cfg = Config.fromfile(recipe)
        crops = list(_random_crops(cfg.get('train_dataloader', {}).get('dataset', {})))
        off += [f'{recipe.relative_to(repo)}: {c["type"]}' for c in crops
                if not c.get('min_valid_fraction')]
    assert not off, off
