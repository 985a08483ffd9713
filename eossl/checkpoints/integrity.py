"""Integrity records of checkpoints: a ``sha256sum``-format sidecar written with each checkpoint.

Why: a checkpoint truncated by a full disk or a killed copy fails ``torch.load`` with a zip
error naming neither the file's state nor an alternative, and bytes overwritten inside one (a
flipped bit) may even load and poison the run. :class:`ResumableCheckpointHook` therefore writes
``epoch_3.pth.sha256`` next to ``epoch_3.pth`` (one ``<sha256>  <name>`` line per file; a
sharded FSDP checkpoint folder lists each of its files), computed from the bytes on disk after
the checkpoint is published, and written atomically. ``sha256sum -c epoch_3.pth.sha256`` checks
it by hand. Every eossl load of a local checkpoint calls :func:`verify_checkpoint`.

A checkpoint without a record (written by another tool) is still checked as far as its format
allows: torch's zip format stores a CRC-32 per member, which :func:`verify_checkpoint` tests.
"""
import hashlib
import os
import os.path as osp
import re
import zipfile

RECORD_SUFFIX = '.sha256'
_CHUNK = 1 << 20
_STEP = re.compile(r'(\d+)\.pth$')


class CorruptCheckpointError(RuntimeError):
    """A checkpoint's bytes do not match its integrity record, or it is not a whole archive."""


def record_path(checkpoint: str) -> str:
    """Where the integrity record of ``checkpoint`` lives (``<checkpoint>.sha256``)."""
    return os.fspath(checkpoint).rstrip('/') + RECORD_SUFFIX


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _files_of(checkpoint: str) -> list[str]:
    """The checkpoint's files relative to its folder: itself, or a sharded folder's files."""
    base = osp.dirname(osp.abspath(checkpoint))
    if not osp.isdir(checkpoint):
        return [osp.basename(checkpoint)]
    return sorted(osp.relpath(osp.join(root, name), base)
                  for root, _, names in os.walk(checkpoint) for name in names)


def record_text(checkpoint: str) -> str:
    """The ``sha256sum``-format record of ``checkpoint`` as it is on disk now."""
    base = osp.dirname(osp.abspath(checkpoint))
    return ''.join(f'{_sha256(osp.join(base, name))}  {name}\n' for name in _files_of(checkpoint))


def _read_record(checkpoint: str) -> dict[str, str] | None:
    path = record_path(checkpoint)
    if not osp.isfile(path):
        return None
    entries = {}
    with open(path) as f:
        lines = f.read().splitlines()
    for line in lines:
        digest, _, name = line.partition('  ')
        entries[name] = digest
    return entries


def integrity_problem(checkpoint: str) -> str | None:
    """Why ``checkpoint`` is not intact (a sentence), or None when it is.

    With a record: every listed file must exist with the recorded sha256. Without one: a
    single-file checkpoint must be a complete zip archive whose CRC-32s match.
    """
    checkpoint = os.fspath(checkpoint)
    if not osp.exists(checkpoint):
        return 'it does not exist'
    base = osp.dirname(osp.abspath(checkpoint))
    recorded = _read_record(checkpoint)
    if recorded is None:
        return None if osp.isdir(checkpoint) else _zip_problem(checkpoint)
    for name, digest in recorded.items():
        path = osp.join(base, name)
        if not osp.isfile(path):
            return f'{name} listed in {osp.basename(record_path(checkpoint))} is missing'
        actual = _sha256(path)
        if actual != digest:
            return (f'sha256 of {name} is {actual[:16]}..., but its integrity record '
                    f'{osp.basename(record_path(checkpoint))} says {digest[:16]}... '
                    f'(size {osp.getsize(path)} bytes): the file is truncated or overwritten')
    return None


def _zip_problem(checkpoint: str) -> str | None:
    """Test a record-less checkpoint's zip structure and CRCs (torch's default format)."""
    try:
        with zipfile.ZipFile(checkpoint) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        if zipfile.is_zipfile(checkpoint) or _looks_like_zip_start(checkpoint):
            return f'it is not a complete zip archive (truncated?): {error}'
        return None  # a legacy (non-zip) torch.save file: nothing to check it against
    if bad is not None:
        return f'member {bad} fails its CRC-32 check: bytes inside the archive were changed'
    return None


def _looks_like_zip_start(path: str) -> bool:
    with open(path, 'rb') as f:
        return f.read(4) == b'PK\x03\x04'


def verify_checkpoint(checkpoint: str) -> None:
    """Raise :class:`CorruptCheckpointError` naming ``checkpoint`` and the reason if not intact."""
    problem = integrity_problem(checkpoint)
    if problem is not None:
        raise CorruptCheckpointError(f'checkpoint {checkpoint} is corrupt: {problem}')


def checkpoint_step(path: str) -> int:
    """The number in ``epoch_N.pth`` / ``iter_N.pth`` (-1 for other names), for ordering."""
    match = _STEP.search(path.rstrip('/'))
    return int(match.group(1)) if match else -1


def newest_intact_checkpoint(candidates: list[str],
                             warn=None) -> tuple[str | None, list[tuple[str, str]]]:
    """The newest intact checkpoint among ``candidates`` (highest step first) and what was
    rejected on the way, as ``[(path, reason)]``; ``warn(message)`` is called per rejection."""
    rejected: list[tuple[str, str]] = []
    for path in sorted(dict.fromkeys(candidates), key=checkpoint_step, reverse=True):
        problem = integrity_problem(path)
        if problem is None:
            return path, rejected
        rejected.append((path, problem))
        if warn is not None:
            warn(f'skipping checkpoint {path}: {problem}')
    return None, rejected


class CheckpointFallbackWarning(UserWarning):
    """The newest checkpoint is not intact; an older one is used instead."""


def auto_resume_checkpoint(work_dir: str) -> str | None:
    """The checkpoint ``--resume`` (without a path) continues from: the newest intact one.

    Candidates are the one mmengine's ``last_checkpoint`` pointer names and every ``*.pth`` in
    its folder and in ``work_dir``. Each rejected one is reported with a
    :class:`CheckpointFallbackWarning` naming it and the reason. None when there is no
    checkpoint at all (a fresh start).

    Raises:
        CorruptCheckpointError: there are checkpoints but none is intact; lists each and why.
    """
    import glob
    import warnings

    candidates = []
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        candidates.append(named)
        candidates += glob.glob(osp.join(osp.dirname(named), '*.pth'))
    candidates += glob.glob(osp.join(work_dir, '*.pth'))
    if not candidates:
        return None

    def warn(message: str) -> None:
        warnings.warn(f'--resume: {message}; trying the previous checkpoint',
                      CheckpointFallbackWarning, stacklevel=3)

    found, rejected = newest_intact_checkpoint(candidates, warn)
    if found is None:
        tried = '; '.join(f'{path}: {reason}' for path, reason in rejected)
        raise CorruptCheckpointError(f'--resume: no intact checkpoint in {work_dir}. Tried '
                                     f'(newest first): {tried}')
    return found
