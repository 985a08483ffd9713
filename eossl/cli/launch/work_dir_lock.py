"""One training run per work dir: a lock file naming the holder's pid and host.

Two runs writing one work dir overwrite each other's checkpoints and ``last_checkpoint`` and
interleave their logs; the later ``--resume`` then continues a mix of both. ``eossl-train``
therefore takes ``<work_dir>/.eossl-train.lock`` before building the runner: an exclusive
``flock`` held for the life of the process (the kernel releases it when the process dies, even by
``kill -9``, so a dead run never blocks the next), with ``pid``, ``host`` and start time written
in the file for the message a second run gets. ``flock`` works on local file systems and on
NFSv4; on file systems without locks the lock is advisory only.
"""
import datetime
import fcntl
import json
import os
import os.path as osp
import socket

LOCK_NAME = '.eossl-train.lock'


class WorkDirLockedError(RuntimeError):
    """Another live run holds the work dir (the message names its pid and host)."""


class WorkDirLock:
    """Hold ``<work_dir>/.eossl-train.lock`` from :meth:`acquire` until :meth:`release` or
    process exit."""

    def __init__(self, work_dir: str) -> None:
        self.path = osp.join(work_dir, LOCK_NAME)
        self._fd: int | None = None
        self.previous: dict | None = None  # the holder recorded by a run that ended

    def acquire(self) -> 'WorkDirLock':
        """Take the lock or raise :class:`WorkDirLockedError` naming the live holder."""
        os.makedirs(osp.dirname(self.path) or '.', exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _describe(_read(fd))
            os.close(fd)
            raise WorkDirLockedError(
                f'work dir {osp.dirname(self.path)} is in use by another training run '
                f'({holder}); two runs would overwrite each other\'s checkpoints. Wait for it, '
                'stop it, or give this run another --work-dir') from None
        self.previous = _read(fd) or None
        record = dict(pid=os.getpid(), host=socket.gethostname(),
                      started=datetime.datetime.now().isoformat(timespec='seconds'))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Release the lock (also happens when the process exits)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _read(fd: int) -> dict:
    """The holder record in the lock file (empty when none or unreadable)."""
    try:
        return json.loads(os.pread(fd, 4096, 0).decode() or '{}')
    except (OSError, ValueError):
        return {}


def _describe(record: dict) -> str:
    """``pid 123 on host node7, started 2026-12-05T10:00:00`` from a holder record."""
    if not record.get('pid'):
        return 'its pid and host are not recorded yet'
    return (f"pid {record['pid']} on host {record.get('host', '?')}, started "
            f"{record.get('started', '?')}")
