"""Every command that writes a file creates the folder it writes into (a fresh clone has no
``checkpoints/``): the shared helper, and each command module that writes uses it."""
import re
from pathlib import Path

import pytest

from eossl.utils import ensure_parent_dir

CLI = Path(__file__).resolve().parents[2] / 'eossl' / 'cli'
WRITES = re.compile(r"torch\.save\(|open\([^)]*'w'|savefig\(|save_\w+_figure\(|\.dump\(")


def test_ensure_parent_dir_creates_nested_folders(tmp_path):
    target = tmp_path / 'a' / 'b' / 'c.pth'
    assert ensure_parent_dir(target) == str(target)
    assert target.parent.is_dir()
    assert ensure_parent_dir('plain_name.pth') == 'plain_name.pth'  # no folder to make


@pytest.mark.parametrize('module', sorted(p.name for p in CLI.glob('*.py')
                                          if WRITES.search(p.read_text())))
def test_each_writing_command_makes_its_output_folder(module):
    assert 'ensure_parent_dir(' in (CLI / module).read_text(), \
        f'eossl/cli/{module} writes a file without ensure_parent_dir'
