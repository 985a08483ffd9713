"""Local files vs GDAL virtual paths: which raster paths may be checked on the local disk.

GDAL (and so rasterio) reads rasters from places that are not files on this machine: virtual
file systems such as ``/vsicurl/https://…``, ``/vsis3/bucket/key``, ``/vsizip/archive.zip/a.tif``
and URLs that rasterio turns into them (``s3://``, ``https://``, ``gs://``, ``zip+file://``…).
An ``os.path.isfile`` check rejects all of these although rasterio opens them, so eossl checks
the local disk only for local paths and lets GDAL report every other failure.
"""
import os
import re

# ``scheme://`` or ``scheme+scheme://`` (rasterio: zip+https://, tar+file://)
_URL = re.compile(r'^[A-Za-z][A-Za-z0-9.+-]*://')


def is_local_path(path: str | os.PathLike) -> bool:
    """True for a path on the local file system, False for a GDAL virtual path or a URL.

    ``/vsi…/`` prefixes (``/vsicurl/``, ``/vsis3/``, ``/vsizip/``, ``/vsimem/``…) and any
    ``scheme://`` URL (``file://`` too: its text is not an ``os.path``) are not local.
    """
    text = os.fspath(path)
    return not (text.startswith('/vsi') or _URL.match(text))
