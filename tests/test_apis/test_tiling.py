"""Tile grid, blending weights and the row-strip accumulator."""
import numpy as np
import pytest

from eossl.apis.tiling import StripAccumulator, iter_tiles, ramp, tile_offsets


def test_tile_offsets_cover_the_length():
    assert tile_offsets(200, 128, 64) == [0, 64, 128]
    assert tile_offsets(100, 128, 32) == [0]  # smaller than a tile: one padded tile
    assert tile_offsets(256, 128, 0) == [0, 128]
    with pytest.raises(ValueError, match='overlap < tile'):
        tile_offsets(100, 64, 64)


@pytest.mark.parametrize('tile,overlap', [(16, 8), (128, 64), (192, 128), (96, 0), (64, 3)])
def test_neighbour_weights_sum_to_one_and_ignore_the_outer_quarter(tile, overlap):
    left, right = ramp(tile, overlap, False, True), ramp(tile, overlap, True, False)
    np.testing.assert_allclose(left[tile - overlap:] + right[:overlap], 1, atol=1e-6)
    assert (right[:overlap // 4] == 0).all() and (left[:tile - overlap] == 1).all()


def test_blended_constant_tiles_give_the_constant_everywhere():
    """Every tile says 'value 3': whatever the weights, the blend must be 3 at every pixel."""
    height, width, tile, overlap = 150, 170, 64, 32
    acc = StripAccumulator(1, width, height, capacity=tile + 64)
    out = np.full((height, width), np.nan, np.float32)
    rows = tile_offsets(height, tile, overlap)
    tiles = list(iter_tiles(height, width, tile, overlap))
    for i, row in enumerate(rows):
        for r, c, weights in tiles:
            if r == row:
                acc.add(np.full((1, tile, tile), 3.0, np.float32), weights, r, c)
        until = height if i == len(rows) - 1 else rows[i + 1]
        for top, blended, weight in acc.pop(until, chunk=16):
            assert (weight > 0).all()
            out[top:top + blended.shape[1]] = blended[0]
    np.testing.assert_allclose(out, 3.0, rtol=1e-6)
    with pytest.raises(ValueError, match='row by row'):
        acc.add(np.ones((1, tile, tile), np.float32), np.ones((tile, tile)), 0, 0)
