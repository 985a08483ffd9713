"""Which packed samples had their pixel bytes checked in this run: each is hashed once per file.

A training run reads every sample once per epoch; re-hashing bytes already checked in the same,
unchanged chunk file is what made the checksum a fifth of a compact PerA sample's CPU time
(issue 31). :class:`VerifiedSamples` remembers, per sample, the chunk file its checksum passed
in; :class:`~.sharded_dataset.ShardStream` (``check_checksum='first_read'``) skips the hash when
the sample's chunk is still that file.
"""
import ctypes
import os
from multiprocessing.sharedctypes import RawArray

_MASK = (1 << 63) - 1


class VerifiedSamples:
    """Per sample of a shard folder: a token of the chunk file in which its checksum passed.

    One shared int64 per sample (0: not checked), allocated where the dataset is built, so the
    DataLoader workers of a rank (persistent ones too) share it: a sample checked by one worker
    in epoch 1 is not hashed by another in epoch 2. The token names the file, not the path
    (device, inode, size, modification time in ns): a chunk rewritten in place, replaced, or
    evicted from a remote data cache and downloaded again is another file, and its samples are
    hashed again on their next read. What this does not catch is a byte changing under an
    unchanged file identity after its check (a disk or memory fault between epochs):
    ``check_checksum='every_read'`` hashes every read for that.

    Args:
        num_samples: samples in the folder (the indices :meth:`checked` / :meth:`mark` take).
    """

    def __init__(self, num_samples: int) -> None:
        self._tokens = RawArray(ctypes.c_int64, max(num_samples, 1))

    @staticmethod
    def file_token(path: str) -> int:
        """A nonzero int64 naming the file now at ``path`` (the same in every process); 0 when
        there is none (a remote chunk not downloaded yet, or just evicted): check, don't mark.

        Taken *before* the sample is read: if the file is replaced in between, the mark names
        the older file and the next read hashes again (never the other way round)."""
        try:
            stat = os.stat(path)
        except OSError:
            return 0
        return hash((stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)) & _MASK or 1

    def checked(self, sample: int, token: int) -> bool:
        """Whether ``sample``'s bytes passed their checksum in the file named by ``token``."""
        return self._tokens[sample] == token

    def mark(self, sample: int, token: int) -> None:
        """Record that ``sample``'s bytes passed their checksum in the file ``token``."""
        self._tokens[sample] = token
