"""Check a packed folder against its index: chunk files, sizes, sha256 and sample counts."""
import hashlib
import json
import logging
import multiprocessing
from dataclasses import dataclass, field
from pathlib import Path

from mmengine.logging import print_log

from .engine import INDEX_FILE


@dataclass
class VerifyReport:
    """What :func:`verify_shards` found; each problem names the chunk file."""

    shards: int = 0
    samples: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems


def verify_chunk(args: tuple[Path, dict, str | None]) -> list[str]:
    """Problems of one chunk ``(root, litdata index entry, expected sha256)``."""
    root, entry, sha256 = args
    path = root / entry['filename']
    if not path.is_file():
        return [f'{path}: missing']
    data = path.read_bytes()
    if len(data) != entry['chunk_bytes']:
        return [f'{path}: {len(data)} bytes, index.json says {entry["chunk_bytes"]} (truncated '
                'or modified chunk)']
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        return [f'{path}: sha256 {digest[:16]}…, index.json says {str(sha256)[:16]}… (the chunk '
                'is corrupt)']
    return []


def verify_shards(root: str | Path, expected_samples: int | None = None,
                  workers: int = 0) -> VerifyReport:
    """Check every chunk of the local folder ``root``.

    Args:
        expected_samples: the number of samples the source dataset has (the packing's skipped
            items count as packed); None skips this comparison.
        workers: processes checking chunks in parallel (0 or 1: this process).
    """
    root = Path(root)
    path = root / INDEX_FILE
    try:
        index = json.loads(path.read_text(encoding='utf-8'))
        chunks, eossl = index['chunks'], index['eossl']
    except (OSError, ValueError, KeyError) as err:
        return VerifyReport(problems=[f'{path}: not the index of a finished eossl packing '
                                      f'({err!r})'])
    report = VerifyReport(shards=len(chunks), samples=sum(c['chunk_size'] for c in chunks))
    if expected_samples is not None and \
            report.samples + len(eossl['skipped']) != expected_samples:
        report.problems.append(f'{path}: {report.samples} samples packed + '
                               f'{len(eossl["skipped"])} skipped, the dataset has '
                               f'{expected_samples}')
    tasks = [(root, c, h) for c, h in zip(chunks, eossl['sha256'])]
    if workers > 1:
        with multiprocessing.get_context('fork').Pool(workers) as pool:
            results = pool.map(verify_chunk, tasks)
    else:
        results = [verify_chunk(task) for task in tasks]
    report.problems += [p for problems in results for p in problems]
    level = logging.INFO if report.ok else logging.ERROR
    print_log(f'verify: {report.shards} chunks, {report.samples} samples, '
              f'{len(report.problems)} problem(s)', logger='current', level=level)
    return report
