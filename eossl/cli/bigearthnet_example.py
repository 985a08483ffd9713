"""Extract the six real BigEarthNet v1.0 S1/S2 example pairs shipped in ``bigearthnet_common``.

The PyPI package ``bigearthnet-common`` (an eossl dependency) carries two small archives,
``BigEarthNet-S1-Example.tar.bz2`` and ``BigEarthNet-S2-Example.tar.bz2``. This tool unpacks them
into ``OUT_DIR/BigEarthNet-S2-Example/<patch>/...`` and ``OUT_DIR/BigEarthNet-S1-Example/...``
(the official layout), so a fresh machine gets real imagery without any download::

    eossl-bigearthnet-example [OUT_DIR]  # data/bigearthnet_example

Running it again only rewrites files that are missing or differ in size. Archive members that
are links, devices, absolute paths or paths leaving their top folder are refused.
"""
import argparse
import shutil
import tarfile
from pathlib import Path, PurePosixPath

import bigearthnet_common

PACKAGE_DIR = Path(bigearthnet_common.__file__).parent
ARCHIVES = ('BigEarthNet-S1-Example.tar.bz2', 'BigEarthNet-S2-Example.tar.bz2')


def safe_target(out_dir: Path, archive: Path, member: tarfile.TarInfo) -> Path:
    """Where ``member`` goes under ``out_dir``; ValueError when it is not a plain file or folder
    inside the archive's own top folder (``BigEarthNet-S1-Example/...``)."""
    top = archive.name.removesuffix('.tar.bz2')
    name = PurePosixPath(member.name)
    if name.is_absolute() or '..' in name.parts or not name.parts or name.parts[0] != top \
            or not (member.isfile() or member.isdir()):
        raise ValueError(f'{archive}: refusing member {member.name!r}; expected plain files and '
                         f'folders under {top}/')
    target = out_dir.joinpath(*name.parts)
    if not target.resolve().is_relative_to(out_dir):
        raise ValueError(f'{archive}: member {member.name!r} would be written outside {out_dir}')
    return target


def extract_bigearthnet_example(out_dir: str | Path = 'data/bigearthnet_example',
                                archive_dir: str | Path = PACKAGE_DIR) -> dict[str, int]:
    """Unpack the S1 and S2 example archives from ``archive_dir`` into ``out_dir``.

    Every member of an archive is checked (:func:`safe_target`) before any of it is written,
    so a bad archive adds nothing to ``out_dir``.

    Returns:
        ``{'extracted': files written, 'kept': files already present with the right size}``.
    """
    out = Path(out_dir).resolve()
    counts = {'extracted': 0, 'kept': 0}
    for archive in (Path(archive_dir) / name for name in ARCHIVES):
        if not archive.is_file():
            raise FileNotFoundError(f'{archive} is missing; reinstall bigearthnet-common')
        with tarfile.open(archive, 'r:bz2') as tar:
            members = [(member, safe_target(out, archive, member)) for member in tar]
            for member, target in members:
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                if target.is_file() and target.stat().st_size == member.size:
                    counts['kept'] += 1
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(target.name + '.part')
                with tar.extractfile(member) as src, open(partial, 'wb') as dst:
                    shutil.copyfileobj(src, dst)
                partial.replace(target)
                counts['extracted'] += 1
    return counts


def main(argv: list[str] | None = None) -> None:
    """Command line: extract and report what was done."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', nargs='?', default='data/bigearthnet_example')
    out_dir = Path(parser.parse_args(argv).out_dir)
    counts = extract_bigearthnet_example(out_dir)
    print(f'BigEarthNet example: extracted {counts["extracted"]} files, kept {counts["kept"]} '
          f'already present, under {out_dir.resolve()} '
          f'(BigEarthNet-S2-Example/, BigEarthNet-S1-Example/)')


if __name__ == '__main__':
    main()
