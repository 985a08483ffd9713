"""Write output files whole or not at all, and say where a failed write went and how much room
was left.

A full disk (``ENOSPC``), a quota or a read-only mount stops a write half-way. Written in place,
the half file then looks like a finished checkpoint, shard chunk or GeoTIFF to the next reader.
Every eossl writer therefore writes ``.<name>.partial`` beside the target and renames it into
place when complete (``os.replace`` within a folder is atomic on POSIX file systems); a failed
write deletes the partial file and raises :class:`DiskWriteError` naming the target and the free
space of its file system.
"""
import contextlib
import errno
import os
import os.path as osp
import shutil
from collections.abc import Iterator

PARTIAL_SUFFIX = '.partial'


class DiskWriteError(OSError):
    """A file could not be written whole; the message names it and the free space."""


def free_space(path: str) -> str:
    """Free space of the file system holding ``path`` (or its nearest existing parent),
    e.g. ``'1.2 MiB'``; ``'unknown'`` when it cannot be read."""
    folder = osp.abspath(path)
    while not osp.exists(folder) and osp.dirname(folder) != folder:
        folder = osp.dirname(folder)
    try:
        return _human(shutil.disk_usage(folder).free)
    except OSError:
        return 'unknown'


def _human(size: float) -> str:
    """``1.2 MiB`` for a byte count."""
    for unit in ('B', 'KiB', 'MiB'):
        if size < 1024:
            return f'{size:.0f} {unit}' if unit == 'B' else f'{size:.1f} {unit}'
        size /= 1024
    return f'{size:.1f} GiB'


def _size(path: str) -> int:
    """Bytes in a file, or in every file under a folder."""
    if not osp.isdir(path):
        return osp.getsize(path)
    return sum(osp.getsize(osp.join(root, name)) for root, _, names in os.walk(path)
               for name in names)


def partial_path(path: str) -> str:
    """The temporary name ``path`` is written under: ``.<name>.partial`` in the same folder."""
    return osp.join(osp.dirname(path), f'.{osp.basename(path)}{PARTIAL_SUFFIX}')


def write_error(error: Exception, path: str, partial: str | None = None,
                note: str = '') -> DiskWriteError:
    """:class:`DiskWriteError` for ``error`` while writing ``path``, after deleting ``partial``
    (the incomplete file) so it neither fills the disk further nor is mistaken for data."""
    written = ''
    if partial and osp.lexists(partial):
        with contextlib.suppress(OSError):
            written = f'{_human(_size(partial))} written before it failed, '
            shutil.rmtree(partial) if osp.isdir(partial) else os.remove(partial)
    code = getattr(error, 'errno', None)
    reason = 'the disk is full' if code in (errno.ENOSPC, errno.EDQUOT) else \
        (getattr(error, 'strerror', None) or str(error))
    cause = error.__cause__ or error.__context__  # GDAL: "Write failed" caused by the detail
    if code is None and cause is not None:
        reason = f'{reason} ({cause})'.replace('. See previous exception for details.', '')
    message = (f'could not write {path}: {reason} ({written}{free_space(path)} free on its '
               f'file system once deleted); no partial file was left{note}')
    failure = DiskWriteError(message)  # one argument: str() is the message alone
    failure.errno = code
    return failure


@contextlib.contextmanager
def atomic_output(path: str,
                  errors: tuple[type[Exception], ...] = (OSError,)) -> Iterator[str]:
    """Yield the temporary path to write ``path`` to; on success rename it onto ``path``. On
    one of ``errors`` (the writer's failed-write exceptions) delete it and raise
    :class:`DiskWriteError`; on any other exception delete it and re-raise."""
    partial = partial_path(path)
    try:
        yield partial
        os.replace(partial, path)
    except errors as error:
        if isinstance(error, DiskWriteError):
            raise
        raise write_error(error, path, partial) from error
    except BaseException:
        if osp.lexists(partial):
            os.remove(partial)
        raise
