"""A read-only S3-compatible server for one local folder, on 127.0.0.1, for the remote tests.

Serves what litdata's clients (boto3, obstore) call to stream a dataset: HeadObject, GetObject
(with a byte Range) and ListObjectsV2, path-style (``/<bucket>/<key>``). It counts requests and
stops with the ``with`` block.
"""
import email.utils
import hashlib
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse
from xml.sax.saxutils import escape


class S3Server:
    """``with S3Server(root, 'bucket') as url:`` serves ``root`` as ``s3://bucket/``."""

    def __init__(self, root: Path, bucket: str) -> None:
        self.root, self.bucket = Path(root), bucket
        self.requests: Counter[tuple[str, str]] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _object(self) -> tuple[Path | None, dict]:
                url = urlparse(self.path)
                bucket, _, key = unquote(url.path).lstrip('/').partition('/')
                server.requests[(self.command, key)] += 1
                path = server.root / key
                ok = bucket == server.bucket and key and path.is_file()
                return (path if ok else None), parse_qs(url.query)

            def _headers(self, path: Path, length: int, status: int = 200) -> None:
                stat = path.stat()
                tag = hashlib.md5(str(stat.st_mtime_ns).encode()).hexdigest()
                self.send_response(status)
                self.send_header('Content-Length', str(length))
                self.send_header('ETag', f'"{tag}"')
                self.send_header('Last-Modified',
                                 email.utils.formatdate(stat.st_mtime, usegmt=True))
                self.send_header('Accept-Ranges', 'bytes')

            def _missing(self) -> None:
                body = b'<?xml version="1.0"?><Error><Code>NoSuchKey</Code></Error>'
                self.send_response(404)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                if self.command != 'HEAD':
                    self.wfile.write(body)

            def do_HEAD(self) -> None:
                path, _ = self._object()
                if path is None:
                    return self._missing()
                self._headers(path, path.stat().st_size)
                self.end_headers()

            def do_GET(self) -> None:
                path, query = self._object()
                if 'list-type' in query:
                    return self._list(query.get('prefix', [''])[0])
                if path is None:
                    return self._missing()
                data = path.read_bytes()
                status, ranged = 200, self.headers.get('Range')
                if ranged:
                    first, _, last = ranged.removeprefix('bytes=').partition('-')
                    start, end = int(first), min(int(last or len(data) - 1), len(data) - 1)
                    data, status = data[start:end + 1], 206
                self._headers(path, len(data), status)
                if ranged:
                    self.send_header('Content-Range', f'bytes {start}-{end}/{path.stat().st_size}')
                self.end_headers()
                self.wfile.write(data)

            def _list(self, prefix: str) -> None:
                keys = sorted(str(p.relative_to(server.root)) for p in server.root.rglob('*')
                              if p.is_file() and str(p.relative_to(server.root)).startswith(prefix))
                items = ''.join(f'<Contents><Key>{escape(k)}</Key><Size>'
                                f'{(server.root / k).stat().st_size}</Size></Contents>'
                                for k in keys)
                body = (f'<?xml version="1.0"?><ListBucketResult><Name>{server.bucket}</Name>'
                        f'<Prefix>{escape(prefix)}</Prefix><KeyCount>{len(keys)}</KeyCount>'
                        f'<IsTruncated>false</IsTruncated>{items}</ListBucketResult>').encode()
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True

    def __enter__(self) -> str:
        threading.Thread(target=self.httpd.serve_forever, kwargs=dict(poll_interval=0.05),
                         daemon=True).start()
        return f'http://127.0.0.1:{self.httpd.server_address[1]}'

    def __exit__(self, *exc_info) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
