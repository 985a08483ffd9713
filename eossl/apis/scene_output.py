"""The output file of :func:`~eossl.apis.predict_scene`: refused before any compute when it
cannot be written, and written whole or not at all.

A scene takes minutes to hours; finding out at the end that the output exists (and was
silently replaced), that its folder is read-only, or that the disk filled half-way would waste
that time or leave a truncated GeoTIFF that opens as a valid file. :func:`check_output` runs
before the model does; :func:`~eossl.apis.predict_scene` then writes ``.<name>.partial`` and
renames it onto the output only when every strip is written
(:func:`eossl.disk_writes.atomic_output`).
"""
import os
import os.path as osp
from pathlib import Path

from eossl.disk_writes import free_space, partial_path


class OutputRefusedError(ValueError):
    """The output of a scene prediction cannot or must not be written (named, with why)."""


def check_output(dst_path: str | Path, overwrite: bool) -> None:
    """Refuse ``dst_path`` before any compute: an existing file without ``overwrite``, a
    missing or unwritable folder (probed by creating and deleting the partial file)."""
    path = os.fspath(dst_path)
    folder = osp.dirname(osp.abspath(path))
    if osp.exists(path) and not overwrite:
        raise OutputRefusedError(f'{path} exists; pass --overwrite (overwrite=True) to replace '
                                 'it, or choose another output')
    if osp.isdir(path):
        raise OutputRefusedError(f'{path} is a folder; give a GeoTIFF file name')
    if not osp.isdir(folder):
        raise OutputRefusedError(f'output folder {folder} does not exist; create it first')
    probe = partial_path(path)
    try:
        with open(probe, 'wb'):
            pass
        os.remove(probe)
    except OSError as error:
        raise OutputRefusedError(f'cannot write into output folder {folder}: '
                                 f'{error.strerror or error} ({free_space(folder)} free); '
                                 'nothing was computed') from None
