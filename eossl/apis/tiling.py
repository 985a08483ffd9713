"""Tiles over a scene, the blending weights of overlapping tiles, and a row-strip accumulator
that turns blended tiles into finished rows without ever holding the whole scene.

Tiles start every ``tile - overlap`` pixels; the last row/column of tiles may reach past the
scene edge (the outside is read as nodata, i.e. the band mean after normalization).

Blending: on each side a tile shares with a neighbour, its weight is 0 over the outer quarter of
the overlap (where a model sees the tile border, not the scene), then rises linearly to 1 over
the middle half, mirrored by the neighbour's, so the two weights cross-fade and some tile always
has weight > 0. Sides at the scene edge keep weight 1. A model whose receptive-field radius is at
most ``overlap / 4`` therefore gives exactly the whole-scene result; a larger one differs only by
a weighted share of the border effect, without visible seams.
"""
from collections.abc import Iterator

import numpy as np


def tile_offsets(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of side ``tile`` covering ``[0, length)`` with ``overlap``."""
    if tile <= 0 or not 0 <= overlap < tile:
        raise ValueError(f'need tile > 0 and 0 <= overlap < tile, got tile={tile}, '
                         f'overlap={overlap}')
    step = tile - overlap
    count = 1 + max(0, -(-(length - tile) // step))
    return [i * step for i in range(count)]


def ramp(tile: int, overlap: int, start_open: bool, end_open: bool) -> np.ndarray:
    """1-D weights of one tile, side to side: on each side that overlaps a neighbour
    (``*_open``) 0 over the outer ``overlap // 4`` pixels, then linear up to 1 over the middle of
    the overlap (see the module docstring); 1 elsewhere."""
    weights = np.ones(tile, np.float32)
    if overlap:
        margin = overlap // 4
        span = overlap - 2 * margin
        rise = np.clip((np.arange(overlap, dtype=np.float32) + 0.5 - margin) / span, 0, 1)
        if start_open:
            weights[:overlap] = rise
        if end_open:
            weights[tile - overlap:] = np.minimum(weights[tile - overlap:], rise[::-1])
    return weights


def tile_weights(tile: int, overlap: int, row_edges: tuple[bool, bool],
                 col_edges: tuple[bool, bool]) -> np.ndarray:
    """``(tile, tile)`` weights; ``*_edges`` say whether the top/bottom (left/right) side has a
    neighbouring tile."""
    return np.outer(ramp(tile, overlap, *row_edges), ramp(tile, overlap, *col_edges))


def iter_tiles(height: int, width: int, tile: int,
               overlap: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(row, col, weights)`` of every tile, row by row (the order :class:`StripAccumulator`
    needs)."""
    rows, cols = tile_offsets(height, tile, overlap), tile_offsets(width, tile, overlap)
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            yield row, col, tile_weights(tile, overlap, (i > 0, i < len(rows) - 1),
                                         (j > 0, j < len(cols) - 1))


class StripAccumulator:
    """Weighted sums of tile outputs over a strip of rows spanning the scene width.

    Memory: ``(channels + 1) × capacity × width`` float32, whatever the scene height; rows are
    handed out (in chunks, so blending them needs little more) and dropped once no later tile
    can touch them.

    Args:
        channels: values per pixel (classes, or feature channels).
        width: scene width on the output grid.
        height: scene height on the output grid (rows past it are discarded).
        capacity: rows kept, at least one tile plus the rows waiting to be written.
    """

    def __init__(self, channels: int, width: int, height: int, capacity: int) -> None:
        self.width, self.height, self.capacity = width, height, capacity
        self.top = 0  # scene row of strip row 0
        self.sums = np.zeros((channels, capacity, width), np.float32)
        self.weights = np.zeros((capacity, width), np.float32)

    def add(self, values: np.ndarray, weights: np.ndarray, row: int, col: int) -> None:
        """Add ``values`` ``(channels, h, w)`` × ``weights`` ``(h, w)`` at scene ``(row, col)``;
        parts outside the scene are dropped."""
        h = min(values.shape[1], self.height - row)
        w = min(values.shape[2], self.width - col)
        r = row - self.top
        if r < 0 or r + h > self.capacity:
            raise ValueError(f'tile rows {row}..{row + h} fall outside the strip '
                             f'{self.top}..{self.top + self.capacity}; add tiles row by row')
        wt = weights[:h, :w]
        self.sums[:, r:r + h, col:col + w] += values[:, :h, :w] * wt
        self.weights[r:r + h, col:col + w] += wt

    def pop(self, until: int, chunk: int | None = None
            ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Finished rows ``[top, until)`` in chunks of at most ``chunk`` rows: ``(first row,
        blended (channels, n, width), weight (n, width))`` each; once the last chunk is
        consumed the strip starts at ``until``. Iterate it to the end."""
        until = min(until, self.height)
        n = until - self.top
        if n < 0 or n > self.capacity:
            raise ValueError(f'cannot pop rows {self.top}..{until} from the strip')
        step = chunk or max(n, 1)
        for start in range(0, n, step):
            stop = min(n, start + step)
            weight = self.weights[start:stop]
            with np.errstate(invalid='ignore', divide='ignore'):
                blended = self.sums[:, start:stop] / weight
            yield self.top + start, blended, weight
        self.sums[:, :self.capacity - n] = self.sums[:, n:]
        self.sums[:, self.capacity - n:] = 0
        self.weights[:self.capacity - n] = self.weights[n:]
        self.weights[self.capacity - n:] = 0
        self.top = until
