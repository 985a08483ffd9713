"""A false-colour PNG of a feature-map GeoTIFF: its first three principal components as RGB.

The components are fitted on a seeded sample of valid cells and every strip of rows is then
projected and written, so only the (small) RGB image is held whole: ``3 × h × w`` bytes at the
feature grid.
"""
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from rasterio.windows import Window

STRIP = 256


def _strips(src):
    for top in range(0, src.height, STRIP):
        window = Window(0, top, src.width, min(STRIP, src.height - top))
        yield top, src.read(window=window)


def write_pca_png(features_path: str | Path, png_path: str | Path, *, samples: int = 20000,
                  seed: int = 0) -> Path:
    """Colour the feature raster ``features_path`` (``D`` bands, NaN nodata) by PCA.

    Each component is stretched from its 2nd to its 98th percentile over the sample; nodata
    cells are black. Returns the PNG path.
    """
    rng = np.random.default_rng(seed)
    with rasterio.open(features_path) as src:
        if src.count < 3:
            raise ValueError(f'{features_path}: {src.count} bands; PCA colouring needs >= 3')
        per_strip = max(1, samples * STRIP // max(src.height, 1))
        picked = []
        for _, block in _strips(src):
            cells = block.reshape(src.count, -1).T
            cells = cells[np.isfinite(cells).all(axis=1)]
            if len(cells):
                picked.append(cells[rng.choice(len(cells), min(per_strip, len(cells)),
                                               replace=False)])
        if not picked:
            raise ValueError(f'{features_path}: every cell is nodata')
        sample = np.concatenate(picked).astype(np.float64)
        mean = sample.mean(axis=0)
        _, _, vt = np.linalg.svd(sample - mean, full_matrices=False)
        basis = vt[:3].T
        projected = (sample - mean) @ basis
        low, high = np.percentile(projected, 2, axis=0), np.percentile(projected, 98, axis=0)
        scale = np.where(high > low, high - low, 1.0)
        rgb = np.zeros((src.height, src.width, 3), np.uint8)
        for top, block in _strips(src):
            cells = block.reshape(src.count, -1).T.astype(np.float64)
            valid = np.isfinite(cells).all(axis=1)
            colour = np.clip((np.nan_to_num(cells - mean) @ basis - low) / scale, 0, 1) * 255
            colour[~valid] = 0
            rgb[top:top + block.shape[1]] = colour.reshape(block.shape[1], src.width, 3)
    png_path = Path(png_path)
    Image.fromarray(rgb).save(png_path)
    return png_path
