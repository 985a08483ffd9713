"""Read samples out of shard files: one positioned read per sample, a few files kept open."""
import hashlib
import os
from collections import OrderedDict
from pathlib import Path

from .index import Location
from .sample_codec import decode_sample
from .tar_io import ShardCorruptError, parse_members


class ShardReader:
    """Reads the byte range of a sample with ``os.pread`` and decodes it.

    Each process (DataLoader worker) uses its own reader; it keeps the ``max_open`` most recently
    used shard files open, so a stream moving through a shard opens it once.

    Args:
        verify_checksums: compare each sample's sha256 with the index before decoding (costs
            about 1 ms per MB; off by default, ``pack_shards.py --verify`` checks everything).
        max_open: open shard files kept per reader.
    """

    def __init__(self, verify_checksums: bool = False, max_open: int = 4) -> None:
        self.verify_checksums = verify_checksums
        self.max_open = max_open
        self._files: OrderedDict[Path, int] = OrderedDict()

    def _fd(self, path: Path) -> int:
        """An open descriptor of ``path``, opening it (and closing the oldest) if needed."""
        if path in self._files:
            self._files.move_to_end(path)
            return self._files[path]
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as err:
            raise ShardCorruptError(f'{path}: cannot open the shard ({err})') from err
        self._files[path] = fd
        if len(self._files) > self.max_open:
            os.close(self._files.popitem(last=False)[1])
        return fd

    def read_bytes(self, location: Location) -> bytes:
        """The sample's bytes; ShardCorruptError (shard, offset) when the file is too short."""
        blob = os.pread(self._fd(location.shard), location.size, location.offset)
        if len(blob) != location.size:
            raise ShardCorruptError(f'{location.shard} byte offset {location.offset}: expected '
                                    f'{location.size} bytes of sample {location.key}, the file '
                                    f'ends after {len(blob)} (truncated shard)')
        return blob

    def check_sha256(self, blob: bytes, location: Location) -> None:
        """ShardCorruptError (shard, offset) when ``blob`` does not hash to the indexed sha256."""
        digest = hashlib.sha256(blob).hexdigest()
        if digest != location.sha256:
            raise ShardCorruptError(f'{location.shard} byte offset {location.offset}: sample '
                                    f'{location.key} has sha256 {digest[:16]}…, the index says '
                                    f'{location.sha256[:16]}… (the shard is corrupt)')

    def load(self, location: Location) -> dict:
        """The dataset item stored at ``location`` (see :func:`~.sample_codec.decode_sample`)."""
        blob = self.read_bytes(location)
        if self.verify_checksums:
            self.check_sha256(blob, location)
        members = parse_members(blob, str(location.shard), location.offset)
        names = [name for name, _, _ in members]
        if any(not name.startswith(location.key + '.') for name in names):
            raise ShardCorruptError(f'{location.shard} byte offset {location.offset}: expected '
                                    f'members of sample {location.key}, found {names[:4]}')
        return decode_sample(members, str(location.shard), location.offset)

    def close(self) -> None:
        """Close every open shard file."""
        while self._files:
            os.close(self._files.popitem()[1])

    def __getstate__(self) -> dict:
        """Pickle without open file descriptors (they do not cross processes)."""
        return dict(self.__dict__, _files=OrderedDict())

    def __del__(self) -> None:
        self.close()
