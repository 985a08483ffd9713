"""Bounded retries for rasters read over the network (``/vsicurl/``, ``/vsis3/``, ``s3://``…).

An object store or tile server under load answers 5xx now and then, truncates a body or drops
the connection mid-read. GDAL turns these into an error (a truncated block fails to decode and
is never returned as pixels), but by default it retries nothing, and a 5xx on opening reads as
"not recognized as being in a supported file format". eossl therefore

- asks GDAL to retry HTTP 429/5xx answers (``GDAL_HTTP_MAX_RETRY`` = 3, waiting
  ``GDAL_HTTP_RETRY_DELAY`` = 0.5 s, doubled each time) unless the user set those options
  (:func:`remote_gdal_env`);
- repeats a failed open or read of a remote path up to ``attempts`` times with exponential
  backoff, bypassing GDAL's cache of the failed bytes (:func:`retry_remote`), which covers
  truncated bodies and dropped connections, and then raises :class:`RemoteReadError` naming
  the URL, the attempts and GDAL's last error.

Local paths get neither: a local read error is a bad file, not a busy server.
"""
import contextlib
import os
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import rasterio

from .io_paths import is_local_path

T = TypeVar('T')
GDAL_RETRIES = dict(GDAL_HTTP_MAX_RETRY=3, GDAL_HTTP_RETRY_DELAY=0.5)
ATTEMPTS, BACKOFF_S = 3, 0.5
# GDAL's own word that the object is not there: retrying cannot help
_ABSENT = ('HTTP response code: 404', 'HTTP response code: 403', 'No such file')


class RemoteReadError(RuntimeError):
    """A remote raster could not be read after bounded retries (not a bad sample: the run
    stops instead of skipping it)."""


@contextlib.contextmanager
def remote_gdal_env() -> Iterator[None]:
    """GDAL's HTTP retry options, where neither the environment nor an enclosing
    ``rasterio.Env`` sets them."""
    active = rasterio.env.getenv() if rasterio.env.hasenv() else {}
    options = {k: v for k, v in GDAL_RETRIES.items() if k not in os.environ and k not in active}
    with rasterio.Env(**options):
        yield


def retry_remote(action: Callable[[bool], T], path: str, attempts: int | None = None,
                 backoff_s: float | None = None) -> T:
    """``action(retry)`` (an open or read of ``path``); for a remote ``path`` repeated after a
    GDAL error up to ``attempts`` times (default :data:`ATTEMPTS`), waiting ``backoff_s``
    (default :data:`BACKOFF_S`), ``2 * backoff_s``… in between.

    GDAL keeps the bytes of a truncated or dropped response in its ``/vsicurl/`` cache, so
    re-reading through the same dataset fails again without asking the server. A retry
    therefore runs with ``CPL_VSIL_CURL_NON_CACHED`` set to ``path`` and ``action(True)`` must
    open ``path`` afresh.

    Raises:
        RemoteReadError: naming ``path`` and the last error, after the last attempt.
        rasterio.errors.RasterioError: a local path's error, or a remote object that does not
            exist (404/403), unchanged.
    """
    attempts = ATTEMPTS if attempts is None else attempts
    backoff_s = BACKOFF_S if backoff_s is None else backoff_s
    if attempts < 1:
        raise ValueError(f'retry_remote: attempts must be >= 1, got {attempts}')
    if is_local_path(path):
        return action(False)
    waited = 0.0
    for attempt in range(1, attempts + 1):
        fresh = {'CPL_VSIL_CURL_NON_CACHED': path} if attempt > 1 else {}
        try:
            with remote_gdal_env(), rasterio.Env(**fresh):
                return action(attempt > 1)
        except rasterio.errors.RasterioError as error:
            if any(word in str(error) for word in _ABSENT):
                raise
            if attempt == attempts:
                raise RemoteReadError(
                    f'{path}: remote read failed {attempts} times ({waited:.1f} s of backoff, '
                    f'GDAL HTTP retries inside each): {error}') from error
            time.sleep(backoff_s * 2 ** (attempt - 1))
            waited += backoff_s * 2 ** (attempt - 1)
    raise ValueError('unreachable')  # the last attempt returns or raises
