"""Check a shard folder against its index: counts, byte layout and per-sample sha256."""
import logging
import multiprocessing
from dataclasses import dataclass, field
from pathlib import Path

from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from .index import Location, ShardIndex
from .reader import ShardReader
from .tar_io import BLOCK, END_OF_ARCHIVE, ShardCorruptError


@dataclass
class VerifyReport:
    """What :func:`verify_shards` found; ``problems`` name the shard and byte offset."""

    shards: int = 0
    samples: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems


def verify_shard(index: ShardIndex, shard_id: int) -> tuple[int, list[str]]:
    """``(samples checked, problems)`` of one shard: size, contiguity, sha256, decoding."""
    path = index.shard_path(shard_id)
    if not path.is_file():
        return 0, [f'{path}: missing']
    try:
        side = index.sidecar(shard_id)
    except ValueError as err:
        return 0, [str(err)]
    problems, size = [], path.stat().st_size
    if size != side['bytes']:
        problems.append(f'{path}: {size} bytes, the index says {side["bytes"]}')
    reader, expected_offset = ShardReader(), 0
    for i, offset in enumerate(side['offsets']):
        if offset != expected_offset:
            problems.append(f'{path} byte offset {offset}: sample {side["keys"][i]} does not '
                            f'follow the previous sample (expected offset {expected_offset})')
        expected_offset = offset + side['sizes'][i]
        location = index.locate(int(index.starts[shard_id]) + i)
        try:
            blob = reader.read_bytes(location)
            reader.check_sha256(blob, location)
            reader.load(location)
        except ShardCorruptError as err:
            problems.append(str(err))
    try:
        tail = reader.read_bytes(Location(path, expected_offset, 2 * BLOCK, '', 'end'))
    except ShardCorruptError:
        tail = b''
    if tail != END_OF_ARCHIVE:
        problems.append(f'{path} byte offset {expected_offset}: no tar end-of-archive marker '
                        'after the last sample (truncated shard)')
    reader.close()
    return len(side['offsets']), problems


def _verify_in_worker(args: tuple[Path, int]) -> tuple[int, list[str]]:
    """Pool task: :func:`verify_shard` of shard ``args[1]`` of the folder ``args[0]``."""
    return verify_shard(ShardIndex(args[0]), args[1])


def verify_shards(root: str | Path, expected_samples: int | None = None,
                  workers: int = 0) -> VerifyReport:
    """Check every shard of the folder ``root``.

    Args:
        expected_samples: the number of samples the source dataset has (minus the ones the
            packing skipped, which ``index.json`` counts); None skips this comparison.
        workers: processes checking shards in parallel (0 or 1: this process).
    """
    index = ShardIndex(root)
    report = VerifyReport(shards=len(index.shards))
    if expected_samples is not None:
        packed = index.num_samples + index.data.get('skipped', 0)
        if packed != expected_samples:
            report.problems.append(f'{index.root}: {index.num_samples} samples packed + '
                                   f'{index.data.get("skipped", 0)} skipped, the dataset has '
                                   f'{expected_samples}')
    progress = ProgressBar(len(index.shards))
    tasks = [(index.root, i) for i in range(len(index.shards))]
    if workers > 1:
        with multiprocessing.get_context('fork').Pool(workers) as pool:
            results = []
            for result in pool.imap(_verify_in_worker, tasks):
                results.append(result)
                progress.update()
    else:
        results = []
        for task in tasks:
            results.append(_verify_in_worker(task))
            progress.update()
    for count, problems in results:
        report.samples += count
        report.problems += problems
    if report.samples != index.num_samples:
        report.problems.append(f'{index.root}: {report.samples} samples found in the shards, '
                               f'index.json says {index.num_samples}')
    level = logging.INFO if report.ok else logging.ERROR
    print_log(f'verify: {report.shards} shards, {report.samples} samples, '
              f'{len(report.problems)} problem(s)', logger='current', level=level)
    return report
