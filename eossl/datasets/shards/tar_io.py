"""The tar layer of eossl shards: one sample = consecutive ustar members, parsed with checks.

Shards are plain POSIX (ustar) tar files, so ``tar tf``, Python's ``tarfile`` and WebDataset
read them. eossl writes them itself (deterministic headers: mtime 0, uid/gid 0) and parses the
byte range of one sample itself, because it then knows the absolute byte offset of every
header and can name it when the data is corrupt, and because it never has to scan a shard from
its start to reach a sample.
"""
import tarfile

from eossl.datasets.errors import InvalidSampleError

BLOCK = 512
END_OF_ARCHIVE = b'\0' * (2 * BLOCK)
_REGULAR_FILE = (b'0', b'\0')


class ShardCorruptError(InvalidSampleError):
    """Bytes of a shard that do not decode: the message names the shard file and byte offset.

    An :class:`InvalidSampleError`, so a dataset with ``skip_invalid=True`` skips the sample and
    logs it like any other unreadable sample.
    """


def tar_member(name: str, payload: bytes) -> bytes:
    """One ustar member: 512-byte header, ``payload``, zero padding to a 512-byte boundary.

    Raises:
        ValueError: ``name`` does not fit a ustar header (at most 100 ASCII characters here).
    """
    if len(name) > 100 or not name.isascii():
        raise ValueError(f'tar member name {name!r} must be ASCII and at most 100 characters')
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(payload), 0, 0o644
    header = info.tobuf(format=tarfile.USTAR_FORMAT, encoding='ascii', errors='strict')
    return header + payload + b'\0' * (-len(payload) % BLOCK)


def _octal(field: bytes) -> int:
    """A NUL/space padded octal header field as int."""
    return int(field.rstrip(b'\0 ').strip() or b'0', 8)


def _check_header(header: bytes, where: str) -> tuple[str, int]:
    """``(name, size)`` of a 512-byte ustar header, after its checksum and type are checked."""
    try:
        stored = _octal(header[148:156])
        size = _octal(header[124:136])
    except ValueError as err:
        raise ShardCorruptError(f'{where}: tar header fields are not octal numbers ({err})') \
            from err
    computed = sum(header[:148]) + 8 * ord(' ') + sum(header[156:])
    if stored != computed:
        raise ShardCorruptError(f'{where}: tar header checksum {stored} != computed {computed} '
                                '(the shard is corrupt or was modified)')
    if header[156:157] not in _REGULAR_FILE:
        raise ShardCorruptError(f'{where}: tar member of type {header[156:157]!r}, expected a '
                                'regular file (eossl shards hold only files)')
    name = header[:100].split(b'\0', 1)[0]
    prefix = header[345:500].split(b'\0', 1)[0] if header[257:262] == b'ustar' else b''
    full = (prefix + b'/' + name) if prefix else name
    return full.decode('utf-8', errors='replace'), size


def parse_members(blob: bytes | memoryview, shard: str,
                  offset: int) -> list[tuple[str, memoryview, int]]:
    """The ``(name, payload, header offset)`` members of one sample's bytes ``blob``, which
    start at byte ``offset`` of ``shard``; payloads are zero-copy views into ``blob``, header
    offsets are absolute (in the shard file).

    Raises:
        ShardCorruptError: naming ``shard`` and the absolute byte offset of the bad header or
            of the truncated member.
    """
    view = memoryview(blob)
    members, pos = [], 0
    while pos < len(view):
        where = f'{shard} byte offset {offset + pos}'
        if len(view) - pos < BLOCK:
            raise ShardCorruptError(f'{where}: {len(view) - pos} bytes left, a tar header needs '
                                    f'{BLOCK} (truncated shard)')
        name, size = _check_header(bytes(view[pos:pos + BLOCK]), where)
        start, end = pos + BLOCK, pos + BLOCK + size
        if end > len(view):
            raise ShardCorruptError(f'{where}: member {name!r} declares {size} bytes but only '
                                    f'{len(view) - start} follow in the sample (truncated shard)')
        members.append((name, view[start:end], offset + pos))
        pos = end + (-size % BLOCK)
    return members
