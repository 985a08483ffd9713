"""A real small file system for disk-full tests: a tmpfs of a few hundred KiB mounted on a test
folder (needs the right to mount, as root in CI's container), resized or remounted read-only
in place."""
import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path


def _mount(*args: str) -> None:
    subprocess.run(['mount', *args], check=True, capture_output=True, text=True)


@contextlib.contextmanager
def small_disk(path: Path, size_kib: int, read_only: bool = False) -> Iterator[Path]:
    """Mount a ``size_kib`` KiB tmpfs on ``path`` (created) for the duration."""
    path.mkdir(parents=True, exist_ok=True)
    _mount('-t', 'tmpfs', '-o', f'size={size_kib}k' + (',ro' if read_only else ''), 'tmpfs',
           str(path))
    try:
        yield path
    finally:
        subprocess.run(['umount', '-l', str(path)], check=True)


def resize(path: Path, size_kib: int) -> None:
    """Give the tmpfs on ``path`` room (files stay)."""
    _mount('-o', f'remount,size={size_kib}k', str(path))
