"""Tiled inference over a whole scene: windowed reads, blended tiles, a georeferenced GeoTIFF.

Memory is bounded by the tile batch and a strip of rows across the scene width
(:class:`~eossl.apis.tiling.StripAccumulator`), never by the scene's area: the input is read one
tile window at a time, finished rows are written and dropped, and GDAL's block cache is capped
(``GDAL_CACHEMAX``) so that neither reading nor writing keeps the scene in memory.

Outputs (tiled, DEFLATE-compressed GeoTIFF with the input's CRS; transform and size too, except
``embed`` which is on the model's feature grid):

- segmentation / classification, default: class ids (uint8, nodata 255; uint16 beyond 254
  classes) with a colour table (one distinct colour per class, nodata transparent) and, when
  the recipe names its classes, the names as the band's ``classes`` tag (JSON list, index = id).
  A classification model paints each tile's scores over the tile, so the map has the tiles'
  resolution, blended.
- ``probs=True``: per-class probabilities (float32, one band per class, nodata NaN), each band
  described by the recipe's class name (``class_<k>`` when it names none).
- ``embed=True`` (any recipe): the backbone's feature map, ``D`` float32 bands at the model's
  stride (transform scaled by it), nodata NaN where every input pixel of a cell is nodata.

A pixel is nodata when all of the model's bands are nodata there.
"""
import colorsys
import json
import logging
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import rasterio
import torch
from mmengine.logging import print_log
from rasterio.errors import RasterioError
from rasterio.windows import Window

from eossl.disk_writes import atomic_output
from eossl.engine.precision import inference_autocast

from .inference import (
    backbone_features,
    band_indexes,
    open_raster,
    predict_batch,
    raster_band_names,
    read_bands,
    size_divisor,
)
from .inference_model import EOInferenceModel
from .progress import progress_bar
from .scene_output import check_output
from .tiling import StripAccumulator, tile_offsets, tile_weights

GDAL_CACHE_MB = 64
# rows are written in multiples of ALIGN (the block height of multi-band outputs, so no block is
# ever written twice); single-band class maps use 256-pixel blocks
ALIGN = 64
LABEL_BLOCK = 256
# what GDAL raises when a write fails (a full disk surfaces as any of them)
WRITE_ERRORS = (OSError, RasterioError, rasterio._err.CPLE_BaseError)


def _read_tile(src, indexes: list[int | None], row: int, col: int, tile: int) -> np.ndarray:
    """Raw ``(C, tile, tile)`` float32 at ``(row, col)``; nodata, filled bands and outside the
    scene → NaN."""
    h, w = min(tile, src.height - row), min(tile, src.width - col)
    out = np.full((len(indexes), tile, tile), np.nan, np.float32)
    out[:, :h, :w] = read_bands(src, indexes, Window(col, row, w, h))
    return out


def feature_stride(model: EOInferenceModel, tile: int) -> int:
    """Input pixels per feature-map cell, measured with one forward of a ``tile``² input."""
    x = torch.zeros(1, len(model.bands), tile, tile, device=model.device)
    with torch.no_grad():
        _, featmap = backbone_features(model, x)
    if featmap is None:
        raise ValueError(f'{type(model.feature_extractor).__name__} returns vectors only; '
                         '--embed needs a feature map')
    if tile % featmap.shape[-1]:
        raise ValueError(f'tile {tile} is not a multiple of the feature grid {featmap.shape[-1]}')
    return tile // featmap.shape[-1]


class _Outputs:
    """Tile batches → ``(values (B, K, t, t), valid (B, 1, t, t))`` on the output grid."""

    def __init__(self, model: EOInferenceModel, embed: bool, tile: int, stride: int,
                 amp: bool = False) -> None:
        self.model, self.embed, self.tile, self.stride = model, embed, tile, stride
        self.amp = amp
        self.valid_tiles, self._channels = 0, None

    @torch.no_grad()
    def __call__(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = torch.from_numpy(raw)
        valid = (~torch.isnan(x)).any(dim=1, keepdim=True).float()
        self.valid_tiles += int(valid.flatten(1).any(dim=1).sum())
        if self._channels is not None and not valid.any():  # all nodata: no forward needed
            side = self.tile // self.stride
            valid = torch.nn.functional.avg_pool2d(valid, self.stride) if self.embed else valid
            return np.zeros((len(raw), self._channels, side, side), np.float32), valid.numpy()
        inputs = self.model.normalize(x)
        with inference_autocast(inputs.device, self.amp):
            if self.embed:
                _, values = backbone_features(self.model, inputs)
            else:
                values = predict_batch(self.model, inputs)
        if self.embed:
            valid = torch.nn.functional.avg_pool2d(valid, self.stride)
        elif values.dim() == 2:  # classification: the tile's scores over the whole tile
            values = values[:, :, None, None].expand(-1, -1, self.tile, self.tile)
        self._channels = values.shape[1]
        return values.float().cpu().numpy(), valid.cpu().numpy()


def _profile(src, count: int, dtype: str, nodata: float, scale: int) -> dict:
    height, width = math.ceil(src.height / scale), math.ceil(src.width / scale)
    block = LABEL_BLOCK if count == 1 else ALIGN
    block = block if min(height, width) >= block else 16 * max(1, min(height, width) // 16)
    return dict(driver='GTiff', height=height, width=width, count=count, dtype=dtype,
                crs=src.crs, transform=src.transform @ rasterio.Affine.scale(scale),
                nodata=nodata, tiled=True, blockxsize=block, blockysize=block,
                compress='deflate', predictor=3 if dtype == 'float32' else 2, BIGTIFF='IF_SAFER')


def class_colour_table(num_classes: int, nodata: int) -> dict[int, tuple[int, int, int, int]]:
    """Class id → RGBA for a class map's colour table: hues a golden-ratio step apart (so
    neighbouring ids differ), alternating saturation and brightness; nodata transparent."""
    table: dict[int, tuple[int, int, int, int]] = {}
    for k in range(num_classes):
        rgb = colorsys.hsv_to_rgb((0.1 + k * 0.618034) % 1.0, 0.9 - 0.3 * (k % 2),
                                  0.95 - 0.25 * (k // 2 % 2))
        r, g, b = (round(255 * c) for c in rgb)
        table[k] = (r, g, b, 255)
    table[nodata] = (0, 0, 0, 0)
    return table


class _Writer:
    """Writes finished strips: class ids, probabilities or features, nodata where invalid."""

    def __init__(self, path: str | Path, src, model: EOInferenceModel, channels: int,
                 embed: bool, probs: bool, scale: int) -> None:
        self.kind = 'features' if embed else 'probs' if probs else 'labels'
        if self.kind == 'labels':
            dtype, self.nodata = ('uint8', 255) if channels < 255 else ('uint16', 65535)
            count = 1
        else:
            dtype, self.nodata, count = 'float32', float('nan'), channels  # type: ignore[assignment]
        self.dst = rasterio.open(path, 'w', **_profile(src, count, dtype, self.nodata, scale))
        names = (model.classes if self.kind != 'features' and model.classes
                 and len(model.classes) == channels else None)
        for band in range(1, count + 1):
            label = ('class_id' if self.kind == 'labels' else names[band - 1] if names
                     else f'{"feature" if embed else "class"}_{band - 1}')
            self.dst.set_band_description(band, label)
        if self.kind == 'labels':
            self.dst.write_colormap(1, class_colour_table(channels, self.nodata))
            if names:
                self.dst.update_tags(1, classes=json.dumps(list(names)))

    def write(self, top: int, blended: np.ndarray, weight: np.ndarray) -> None:
        """``blended`` ``(K + 1, n, W)``: K values and the valid fraction last."""
        values, valid = blended[:-1], (blended[-1] > 0) & (weight > 0)
        if self.kind == 'labels':
            out = values.argmax(axis=0).astype(self.dst.dtypes[0])
            out[~valid] = self.nodata
            out = out[None]
        else:
            out = np.where(valid[None], values, np.float32(np.nan)).astype(np.float32)
        self.dst.write(out, window=Window(0, top, out.shape[2], out.shape[1]))

    def close(self) -> None:
        self.dst.close()


def _batches(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def predict_scene(model: EOInferenceModel, src_path: str | Path, dst_path: str | Path, *,
                  tile: int = 512, overlap: int = 64, batch: int = 4,
                  bands: Sequence[str] | None = None, probs: bool = False, embed: bool = False,
                  progress: bool = True, amp: bool = False, overwrite: bool = False,
                  fill_missing: bool = False) -> dict:
    """Run ``model`` over the scene ``src_path`` tile by tile and write ``dst_path``.

    Args:
        model: from :func:`~eossl.apis.init_model`.
        src_path: a multi-band raster (local, or a GDAL virtual path such as ``/vsicurl/…``).
        dst_path: the GeoTIFF to write (see the module docstring for its content).
        tile: tile side in input pixels (a multiple of a ViT's patch size).
        overlap: pixels shared by neighbouring tiles, blended (< tile).
        batch: tiles per forward pass.
        bands: names of the raster's bands (default: its band descriptions).
        probs: write per-class probabilities instead of class ids.
        embed: write the backbone's feature map instead of predictions.
        progress: show a progress bar.
        amp: run the network under bf16 autocast (fp16 on GPUs before Ampere); inputs are
            normalized and outputs blended in fp32.
        overwrite: replace an existing ``dst_path`` (else refused before any compute, as is
            a missing or unwritable output folder: :func:`.scene_output.check_output`).
        fill_missing: bands the model needs but the scene lacks (B10 of an L1C model on an L2A
            scene) are read as nodata, i.e. the band mean, as ``FillMissingBands`` in training.

    The output is written to ``.<name>.partial`` and renamed onto ``dst_path`` when complete;
    on any error (a full disk: :class:`~eossl.disk_writes.DiskWriteError` naming the path and
    the free space) the partial file is deleted and an existing ``dst_path`` is left as it was.
    Batches of tiles without any valid pixel skip the model (their output is nodata anyway); a
    scene without any valid pixel in the model's bands gives an all-nodata output and a warning.

    Returns:
        ``{'tiles', 'valid_tiles', 'height', 'width', 'channels', 'stride'}`` of the run.
    """
    check_output(dst_path, overwrite)
    divisor = size_divisor(model)
    if tile % divisor or overlap % divisor:
        raise ValueError(f'tile ({tile}) and overlap ({overlap}) must be multiples of the '
                         f"model's patch size {divisor}")
    if not embed and model.task == 'embedding':
        raise ValueError(f'{model.cfg.filename}: a pretraining recipe has no head: use '
                         '--embed to write its feature map')
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB), open_raster(src_path) as src:
        names = raster_band_names(src, bands)
        model.select(names, str(src_path))
        indexes = band_indexes(model.bands, names, src.count, str(src_path), fill_missing)
        stride = feature_stride(model, tile) if embed else 1
        if tile % stride or overlap % stride:
            raise ValueError(f'tile ({tile}) and overlap ({overlap}) must be multiples of the '
                             f'feature stride {stride}')
        rows, cols = (tile_offsets(src.height, tile, overlap),
                      tile_offsets(src.width, tile, overlap))
        out_tile, out_overlap = tile // stride, overlap // stride
        height, width = math.ceil(src.height / stride), math.ceil(src.width / stride)
        outputs = _Outputs(model, embed, tile, stride, amp)
        acc = writer = None
        bar = progress_bar(len(rows) * len(cols), enabled=progress)
        with atomic_output(os.fspath(dst_path), errors=WRITE_ERRORS) as partial:
            try:
                for i, row in enumerate(rows):
                    for chunk in _batches(list(enumerate(cols)), batch):
                        raw = np.stack([_read_tile(src, indexes, row, col, tile)
                                        for _, col in chunk])
                        values, valid = outputs(raw)
                        if acc is None:
                            channels = values.shape[1]
                            acc = StripAccumulator(channels + 1, width, height,
                                                   out_tile + 2 * ALIGN)
                            writer = _Writer(partial, src, model, channels, embed, probs, stride)
                        for k, (j, col) in enumerate(chunk):
                            weights = tile_weights(out_tile, out_overlap,
                                                   (i > 0, i < len(rows) - 1),
                                                   (j > 0, j < len(cols) - 1))
                            acc.add(np.concatenate([values[k], valid[k]]), weights,
                                    row // stride, col // stride)
                        bar.update(len(chunk))
                    last = i == len(rows) - 1
                    done = height if last else rows[i + 1] // stride
                    until = done if last else done // ALIGN * ALIGN
                    for strip in acc.pop(until, chunk=ALIGN):
                        writer.write(*strip)
            finally:
                bar.close()
                if writer is not None:
                    writer.close()
    if not outputs.valid_tiles:
        print_log(f'{src_path}: no pixel of the scene is valid in the model\'s bands '
                  f'{list(model.bands)}; {dst_path} is nodata everywhere', logger='current',
                  level=logging.WARNING)
    return dict(tiles=len(rows) * len(cols), valid_tiles=outputs.valid_tiles, height=height,
                width=width, channels=acc.sums.shape[0] - 1, stride=stride)
