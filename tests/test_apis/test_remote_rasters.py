"""GDAL virtual paths: a COG served over HTTP (range requests) on 127.0.0.1 reads like the file."""
import http.server
import io
import os
import threading
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch

from eossl.apis import init_model, predict_scene
from eossl.datasets import InvalidSampleError
from eossl.datasets.io_paths import is_local_path
from eossl.datasets.transforms import LoadMultiBandImage
from eossl.testing.scenes import make_fake_scene

from .conftest import tiny_segmentor


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves ``directory`` with HTTP range requests (206), recording every request."""

    requests: list = []

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return None
        data = path.read_bytes()
        header = self.headers.get('Range')
        self.requests.append((self.command, header))
        if header and header.startswith('bytes='):
            first, _, last = header[6:].partition('-')
            start = int(first)
            end = min(int(last) if last else len(data) - 1, len(data) - 1)
            self.send_response(206)
            self.send_header('Content-Range', f'bytes {start}-{end}/{len(data)}')
            body = data[start:end + 1]
        else:
            self.send_response(200)
            body = data
        self.send_header('Content-Type', 'image/tiff')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Accept-Ranges', 'bytes')
        self.end_headers()
        return io.BytesIO(body if self.command == 'GET' else b'')


@pytest.fixture(scope='module')
def served_cog(tmp_path_factory):
    """``(local path, /vsicurl/ URL, request log)`` of a 13-band COG on a local server."""
    folder = tmp_path_factory.mktemp('www')
    cog = make_fake_scene(folder / 'scene.tif', 300, 260, cog=True, compress='deflate')
    handler = type('Handler', (_RangeHandler, ), {'requests': []})
    server = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), lambda *a, **k: handler(*a, directory=str(folder), **k))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f'/vsicurl/http://127.0.0.1:{server.server_address[1]}/scene.tif'
    yield cog, url, handler.requests
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def no_proxy_bounded_http(monkeypatch):
    """GDAL talks to 127.0.0.1 directly, fails fast and caches nothing between tests."""
    for key in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY'):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv('NO_PROXY', '127.0.0.1')
    with rasterio.Env(GDAL_HTTP_TIMEOUT=10, GDAL_HTTP_CONNECTTIMEOUT=5, GDAL_HTTP_MAX_RETRY=0,
                      GDAL_DISABLE_READDIR_ON_OPEN='EMPTY_DIR', GDAL_HTTP_PROXY='',
                      CPL_VSIL_CURL_USE_HEAD='NO'):
        yield


def test_is_local_path():
    for path in ('/data/a.tif', 'rel/a.tif', Path('/x/y.tif'), 'C:/data/a.tif'):
        assert is_local_path(path)
    for path in ('/vsicurl/https://host/a.tif', '/vsis3/bucket/a.tif', 's3://bucket/a.tif',
                 '/vsizip/archive.zip/a.tif', 'https://host/a.tif', 'zip+file://a.zip!a.tif',
                 'file:///data/a.tif'):
        assert not is_local_path(path)


def test_load_multiband_image_reads_a_cog_through_vsicurl(served_cog):
    local, url, requests = served_cog
    loader = LoadMultiBandImage(bands=['B4', 'B3', 'B2'], window=(40, 30, 64, 64))
    remote = loader.transform({'paths': {'s2': url}})['img']
    expected = loader.transform({'paths': {'s2': str(local)}})['img']
    assert remote.shape == (3, 64, 64)
    np.testing.assert_array_equal(remote, expected)
    ranged = [header for _, header in requests if header]
    assert ranged and all(header.startswith('bytes=') for header in ranged)
    assert os.path.getsize(local) > 0


def test_missing_local_and_remote_rasters_are_named(served_cog, tmp_path):
    _, url, _ = served_cog
    loader = LoadMultiBandImage(bands=['B2'])
    with pytest.raises(InvalidSampleError, match='file not found'):
        loader.transform({'paths': {'s2': str(tmp_path / 'absent.tif')}})
    with pytest.raises(InvalidSampleError, match='absent.tif: unreadable raster'):
        loader.transform({'paths': {'s2': url.replace('scene.tif', 'absent.tif')}})


def test_predict_scene_on_a_vsicurl_cog_equals_the_local_run(served_cog, tmp_path):
    local, url, _ = served_cog
    torch.manual_seed(0)
    model = init_model(tiny_segmentor(num_classes=3, width=8))
    for source, out in ((str(local), tmp_path / 'local.tif'), (url, tmp_path / 'remote.tif')):
        predict_scene(model, source, out, tile=128, overlap=32, progress=False)
    with rasterio.open(tmp_path / 'local.tif') as a, rasterio.open(tmp_path / 'remote.tif') as b:
        np.testing.assert_array_equal(a.read(), b.read())
        assert (a.crs, a.transform) == (b.crs, b.transform)
