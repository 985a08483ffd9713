"""A GeoTIFF writer for the dataset and transform tests."""
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

GeoTiffWriter = Callable[..., str]


def write_geotiff(path: Path, data: np.ndarray, pixel_size: float = 10.0,
                  nodata: float | None = None,
                  descriptions: Sequence[str] | None = None) -> str:
    """Write ``data`` ``(C, H, W)`` (or ``(H, W)``) as a GeoTIFF in UTM 33N; returns the path.

    ``pixel_size`` sets the ground sampling distance so files of one patch at 10/20/60 m cover
    the same extent, as Sentinel-2 band files do.
    """
    data = data[None] if data.ndim == 2 else data
    profile = dict(driver='GTiff', height=data.shape[1], width=data.shape[2], count=data.shape[0],
                   dtype=data.dtype, crs='EPSG:32633', nodata=nodata,
                   transform=from_origin(400000, 5340000, pixel_size, pixel_size))
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, 'w', **profile) as dst:
        dst.write(data)
        if descriptions is not None:
            for i, name in enumerate(descriptions, start=1):
                dst.set_band_description(i, name)
    return str(path)


@pytest.fixture
def geotiff(tmp_path: Path) -> GeoTiffWriter:
    """``geotiff(name, data, **kwargs)`` writes ``tmp_path / name`` with :func:`write_geotiff`."""
    def write(name: str, data: np.ndarray, **kwargs) -> str:
        return write_geotiff(tmp_path / name, data, **kwargs)
    return write
