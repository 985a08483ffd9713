"""eossl-bigearthnet-example: a safe, idempotent copy of the real example."""
import importlib.util
import io
import subprocess
import sys
import tarfile

import pytest


@pytest.fixture(scope='module')
def tool(repo_root):
    return importlib.import_module('eossl.cli.bigearthnet_example')


def relative_files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob('*'))


def archive_files(tool) -> dict[str, bytes]:
    """Every regular file of the package's two example archives, by relative path."""
    files = {}
    for archive in tool.ARCHIVES:
        with tarfile.open(tool.PACKAGE_DIR / archive, 'r:bz2') as tar:
            files.update({m.name: tar.extractfile(m).read() for m in tar if m.isfile()})
    return files


def test_extracts_exactly_the_packaged_example_and_is_idempotent(tool, tmp_path):
    out = tmp_path / 'example'
    counts = tool.extract_bigearthnet_example(out)
    expected = archive_files(tool)
    files = [p for p in relative_files(out) if (out / p).is_file()]
    assert sorted(expected) == files and len(files) == 6 * 3 + 6 * 13
    assert counts == {'extracted': len(files), 'kept': 0}
    assert all((out / name).read_bytes() == data for name, data in expected.items())

    damaged = out / files[0]
    damaged.write_bytes(b'truncated')
    assert tool.extract_bigearthnet_example(out) == {'extracted': 1, 'kept': len(files) - 1}
    assert damaged.read_bytes() == expected[files[0]]
    assert tool.extract_bigearthnet_example(out) == {'extracted': 0, 'kept': len(files)}


@pytest.mark.parametrize('name, kind', [
    ('BigEarthNet-S1-Example/../../escaped.txt', tarfile.REGTYPE),
    ('/tmp/absolute.txt', tarfile.REGTYPE),
    ('elsewhere/file.txt', tarfile.REGTYPE),
    ('BigEarthNet-S1-Example/link', tarfile.SYMTYPE),
])
def test_refuses_unsafe_archive_members(tool, tmp_path, name, kind):
    archives = tmp_path / 'archives'
    archives.mkdir()
    for archive in tool.ARCHIVES:
        with tarfile.open(archives / archive, 'w:bz2') as tar:
            top = archive.removesuffix('.tar.bz2')
            good = tarfile.TarInfo(f'{top}/ok.txt')
            good.size = 2
            tar.addfile(good, io.BytesIO(b'ok'))
            bad = tarfile.TarInfo(name)
            bad.type = kind
            bad.linkname = '/etc/passwd' if kind == tarfile.SYMTYPE else ''
            tar.addfile(bad, io.BytesIO(b'') if kind == tarfile.REGTYPE else None)
    out = tmp_path / 'out'
    with pytest.raises(ValueError, match='refusing member'):
        tool.extract_bigearthnet_example(out, archive_dir=archives)
    assert not out.exists() or relative_files(out) == []
    assert not (tmp_path / 'escaped.txt').exists()


def test_command_line_reports_what_it_did(repo_root, tmp_path):
    run = subprocess.run([sys.executable, '-m', 'eossl.cli.bigearthnet_example',
                          str(tmp_path / 'out')], check=True, cwd=repo_root,
                         capture_output=True, text=True)
    assert 'extracted 96 files, kept 0 already present' in run.stdout
    assert (tmp_path / 'out' / 'BigEarthNet-S2-Example').is_dir()
