"""The per-record checksum of a packed sample's pixel bytes, checked when read.

A record's JSON carries exactly one of:

- ``"xxh3_64"``: the xxh3-64 hash (seed 0) of ``pixels`` as 16 hex digits — what the compact
  layout writes; a 1.8 MB PerA tile takes 0.04–0.2 ms on one core (bytes in cache / from
  memory), against 0.33–1.1 ms for CRC-32, which was about half of a compact sample's read;
- ``"crc32"``: ``zlib.crc32`` of ``pixels`` as an integer — what the files layout writes, and
  what compact shards packed before xxh3-64 carry; they stay readable and are checked with it.

Which one is checked is decided by the key the record carries, so a folder never needs
re-packing. Both catch a changed byte, which the litdata chunk layout alone cannot; neither is
cryptographic (``eossl-pack-shards --verify`` checks every chunk's sha256). When the reader
checks it (each sample once per chunk file by default, every read, or never) is
``ShardedDataset``'s ``check_checksum``.
"""
import zlib

try:
    import xxhash
except ImportError as err:  # the optional extra is missing
    raise ImportError("eossl's packed shards need xxhash (the compact layout's checksum): "
                      "pip install 'eossl[streaming]' (or requirements/streaming.txt) "
                      f'({err})') from err

XXH3 = 'xxh3_64'
CRC32 = 'crc32'
_NAMES = {XXH3: 'xxh3-64', CRC32: 'CRC-32'}


def pixel_checksum(pixels: bytes | memoryview, kind: str) -> str | int:
    """The checksum ``kind`` (``'xxh3_64'``: 16 hex digits, ``'crc32'``: an int) of ``pixels``."""
    if kind == XXH3:
        return xxhash.xxh3_64_hexdigest(pixels)
    if kind == CRC32:
        return zlib.crc32(pixels)
    raise ValueError(f'unknown pixel checksum {kind!r}; expected {XXH3!r} or {CRC32!r}')


def record_checksum(meta: dict) -> tuple[str, str | int]:
    """``(kind, stored value)`` of a record's JSON: its ``xxh3_64`` if it has one, else its
    ``crc32``.

    Raises:
        KeyError: the record carries neither.
    """
    for kind in (XXH3, CRC32):
        if kind in meta:
            return kind, meta[kind]
    raise KeyError(f'no pixel checksum ({XXH3!r} or {CRC32!r}) in the record')


def checksum_problem(kind: str, stored: str | int, pixels: bytes | memoryview) -> str | None:
    """What is wrong when ``pixels`` do not have the checksum ``stored`` of ``kind`` (None when
    they do): both values and the kind, e.g. ``pixel bytes have xxh3-64 …, the sample says …``.
    """
    actual = pixel_checksum(pixels, kind)
    if actual == stored:
        return None
    return f'pixel bytes have {_NAMES[kind]} {actual}, the sample says {stored}'
