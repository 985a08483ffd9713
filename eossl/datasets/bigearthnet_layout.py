"""Which BigEarthNet release a folder holds, for errors that point at the right dataset class.

v1.0 (:class:`~eossl.datasets.BigEarthNet`): ``BigEarthNet-v1.0/<patch>/`` (and
``BigEarthNet-S1-v1.0/``), one ``_labels_metadata.json`` per patch. v2.0 / reBEN
(:class:`~eossl.datasets.BigEarthNetV2`): ``BigEarthNet-S2/<tile>/<patch>/``,
``BigEarthNet-S1/…`` and ``metadata.parquet``.
"""
from pathlib import Path

V1_TREES = ('BigEarthNet-v1.0', 'BigEarthNet-S1-v1.0')
V2_TREES = ('BigEarthNet-S2', 'BigEarthNet-S1')
V2_METADATA = 'metadata.parquet'


def detect_version(folder: str | Path) -> str | None:
    """``'v1'``, ``'v2'`` or None (neither layout recognised) for a dataset root."""
    folder = Path(folder)
    if (folder / V2_METADATA).is_file() or any((folder / t).is_dir() for t in V2_TREES):
        return 'v2'
    if any((folder / t).is_dir() for t in V1_TREES) or \
            next(folder.glob('*/*_labels_metadata.json'), None) is not None:
        return 'v1'
    return None


def version_hint(folder: str | Path, expected: str) -> str:
    """A sentence for an error when ``folder`` looks like the other release, else ''."""
    found = detect_version(folder) if Path(folder).is_dir() else None
    if found is None or found == expected:
        return ''
    if found == 'v2':
        return (f"; {folder} looks like BigEarthNet v2.0 (reBEN: {V2_METADATA}, "
                "BigEarthNet-S2/<tile>/<patch>/): use type='BigEarthNetV2'")
    return (f'; {folder} looks like BigEarthNet v1.0 (BigEarthNet-v1.0/<patch>/ with '
            "_labels_metadata.json files): use type='BigEarthNet'")
