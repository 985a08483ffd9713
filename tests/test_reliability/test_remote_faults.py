"""A raster server (127.0.0.1 only) that answers 503, truncates bodies or drops the connection
mid-read: intermittent faults are retried to exactly the file's pixels, persistent ones end in
an error naming the URL after a bounded number of requests; no partial tile becomes data."""
import http.server
import threading

import numpy as np
import pytest
import rasterio

from eossl.apis import init_model, predict_scene
from eossl.datasets import remote_reads
from eossl.datasets.remote_reads import RemoteReadError
from eossl.datasets.transforms import LoadMultiBandImage
from eossl.testing.scenes import make_fake_scene

from ..test_apis.conftest import tiny_segmentor


class FaultyHandler(http.server.BaseHTTPRequestHandler):
    """Serves one file with range requests; the GETs numbered in ``faults`` (1-based) get the
    fault ``mode``: ``'503'``, ``'short'`` (a 206 whose body is half the range, Content-Length
    matching) or ``'drop'`` (the headers promise the range, half is sent, the connection is
    closed)."""

    data, mode, faults, count = b'', '503', range(0), [0]

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.count[0] += 1
        n, data = self.count[0], self.data
        first, _, last = (self.headers.get('Range') or 'bytes=0-').removeprefix(
            'bytes=').partition('-')
        start, end = int(first), min(int(last) if last else len(data) - 1, len(data) - 1)
        body = data[start:end + 1]
        faulty = n in self.faults
        if faulty and self.mode == '503':
            self.send_response(503)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        sent = body[:len(body) // 2] if faulty else body
        ranged = self.headers.get('Range') is not None  # GDAL's first GET asks for the size
        self.send_response(206 if ranged else 200)
        if ranged:
            self.send_header('Content-Range', f'bytes {start}-{end}/{len(data)}')
        self.send_header('Content-Length',
                         str(len(sent) if faulty and self.mode == 'short' else len(body)))
        self.end_headers()
        self.wfile.write(sent)
        if faulty and self.mode == 'drop':
            self.wfile.flush()
            self.close_connection = True


@pytest.fixture(scope='module')
def cog(tmp_path_factory):
    return make_fake_scene(tmp_path_factory.mktemp('www') / 'scene.tif', 160, 160, cog=True,
                           compress='deflate')


@pytest.fixture
def serve(cog, monkeypatch):
    """``serve(mode, faults) -> (url, request counter)``; quick backoff, no proxy."""
    monkeypatch.setattr(remote_reads, 'BACKOFF_S', 0.05)
    for key in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY'):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv('NO_PROXY', '127.0.0.1')
    servers = []

    def start(mode: str, faults):
        handler = type('Handler', (FaultyHandler,), dict(data=cog.read_bytes(), mode=mode,
                                                         faults=faults, count=[0]))
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f'/vsicurl/http://127.0.0.1:{server.server_address[1]}/scene.tif', handler.count

    with rasterio.Env(GDAL_HTTP_TIMEOUT=5, GDAL_HTTP_RETRY_DELAY=0.05,
                      GDAL_DISABLE_READDIR_ON_OPEN='EMPTY_DIR', CPL_VSIL_CURL_USE_HEAD='NO',
                      GDAL_HTTP_PROXY=''):
        yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize('mode', ['503', 'short', 'drop'])
def test_intermittent_faults_are_retried_to_exactly_the_files_pixels(serve, cog, mode):
    url, count = serve(mode, faults={3, 4})  # a burst of two bad answers mid-read
    loader = LoadMultiBandImage(bands=['B4', 'B3', 'B2'], window=(16, 24, 96, 96))
    remote = loader.transform({'paths': {'s2': url}})['img']
    np.testing.assert_array_equal(remote, loader.transform({'paths': {'s2': str(cog)}})['img'])
    assert count[0] > 4  # the faults were met and got past


@pytest.mark.parametrize('mode', ['503', 'short', 'drop'])
def test_a_server_that_keeps_failing_is_named_after_bounded_retries(serve, mode):
    url, count = serve(mode, faults=range(3, 10 ** 6))  # the header, then every read fails
    loader = LoadMultiBandImage(bands=['B4', 'B3', 'B2'], window=(16, 24, 96, 96))
    with pytest.raises(RemoteReadError, match=rf'^{url}: remote read failed 3 times \(0\.2 s of '
                       r'backoff, GDAL HTTP retries inside each\): '):
        loader.transform({'paths': {'s2': url}})
    assert count[0] <= 2 + 3 * 4 * 3  # 3 attempts x (1 + 3 GDAL retries) x 3 bands at most


@pytest.mark.slow
def test_predict_scene_from_a_failing_server_writes_nothing(serve, tmp_path):
    url, _ = serve('drop', faults=range(3, 10 ** 6))
    model = init_model(tiny_segmentor(num_classes=3, width=8))
    out = tmp_path / 'map.tif'
    with pytest.raises(RemoteReadError, match=rf'^{url}: remote read failed 3 times'):
        predict_scene(model, url, out, tile=64, overlap=16, progress=False)
    assert list(tmp_path.iterdir()) == []  # no map made of partial tiles, no partial file
