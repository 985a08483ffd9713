"""Every checkpoint load goes through eossl's weights-only safe loader, and every tool that loads
a checkpoint refuses a crafted one without running its payload.

The AST scan fails on any ``torch.load`` call in ``eossl/`` or ``tools/`` other than the one in
:func:`eossl.compat.safe_torch_load`, so a new tool cannot slip back to ``weights_only=False``.
"""
import argparse
import ast
import pathlib
from pathlib import Path

import pytest
import torch

from eossl.checkpoints import UnsafeCheckpointError
from eossl.cli import (
    eossl_to_softcon,
    extract_backbone,
    knn_probe,
    mmearth_to_eossl,
    softcon_to_eossl,
    test,
    train,
)
from eossl.testing import make_fake_eurosat

REPO = Path(__file__).resolve().parents[2]
SAFE_LOADER = REPO / 'eossl' / 'checkpoints' / 'safe_load.py'
DEMO = 'configs/dual_simclr/dual_simclr_rn18_s1s2_demo_bigearthnet.py'
LINEAR = 'configs/benchmarks/classification/rn50_linear_eurosat.py'


def torch_load_calls(path: Path) -> list[int]:
    """Line numbers of ``torch.load(...)`` / ``load(...)`` imported from torch in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    aliases = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and node.module == 'torch' for a in node.names if a.name == 'load'}
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr == 'load'
                and isinstance(func.value, ast.Name) and func.value.id == 'torch') or \
                (isinstance(func, ast.Name) and func.id in aliases):
            lines.append(node.lineno)
    return lines


def test_no_torch_load_outside_the_safe_loader():
    offenders = []
    for folder in ('eossl', 'tools'):
        for path in sorted((REPO / folder).rglob('*.py')):
            calls = torch_load_calls(path)
            if path == SAFE_LOADER:
                assert len(calls) == 1, 'safe_torch_load holds the one torch.load call'
                continue
            offenders += [f'{path.relative_to(REPO)}:{line}' for line in calls]
    assert not offenders, ('torch.load outside eossl.checkpoints.safe_torch_load (use it instead): '
                           + ', '.join(offenders))


def test_the_scan_catches_both_spellings(tmp_path):
    source = tmp_path / 'x.py'
    source.write_text('import torch\nfrom torch import load as tl\n'
                      'torch.load("a", weights_only=False)\ntl("b")\n')
    assert torch_load_calls(source) == [3, 4]


class Payload:
    """Unpickling calls ``open(marker, 'w')``: what a crafted checkpoint would run."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, 'w')


@pytest.fixture
def crafted(tmp_path) -> tuple[Path, Path]:
    """A checkpoint in each tool's expected shape, plus a payload; and the payload's marker."""
    marker = tmp_path / 'payload_ran'
    state = {'backbone.conv1.weight': torch.zeros(1)}
    path = tmp_path / 'crafted.pth'
    torch.save({'state_dict': state, 'model': state, 'meta': {}, 'payload': Payload(marker)},
               path)
    return path, marker


def _refuses(call, crafted, *extra: str) -> None:
    path, marker = crafted
    with pytest.raises(UnsafeCheckpointError, match=r'Refused to load checkpoint .*crafted\.pth'
                       r'.*io\.open') as raised:
        call([str(path), *extra])
    assert 'weights_only=True' in str(raised.value)
    assert not marker.exists(), 'the payload ran'


@pytest.mark.parametrize('tool', [extract_backbone, eossl_to_softcon, softcon_to_eossl,
                                  mmearth_to_eossl], ids=lambda m: m.__name__.split('.')[-1])
def test_converters_refuse_a_crafted_checkpoint(tool, crafted, tmp_path):
    _refuses(tool.main, crafted, str(tmp_path / 'out.pth'))
    assert not (tmp_path / 'out.pth').exists()


def test_mmearth_converter_still_reads_the_official_args_namespace(tmp_path):
    # the official save_model pickles its argparse arguments next to the weights
    official = tmp_path / 'checkpoint-199.pth'
    torch.save({'model': {'encoder.stem.0.weight': torch.zeros(1)}, 'epoch': 199,
                'args': argparse.Namespace(output_dir=pathlib.PosixPath('/x'), lr=1e-4)},
               official)
    from eossl.checkpoints import safe_torch_load
    loaded = safe_torch_load(str(official), extra_globals=mmearth_to_eossl.OFFICIAL_EXTRA_GLOBALS)
    assert loaded['args'].output_dir == pathlib.PosixPath('/x')
    with pytest.raises(UnsafeCheckpointError, match='argparse.Namespace'):
        safe_torch_load(str(official))  # only that tool allows it


def test_knn_probe_refuses_a_crafted_checkpoint(crafted):
    path, marker = crafted
    with pytest.raises(UnsafeCheckpointError, match=r'crafted\.pth.*io\.open'):
        knn_probe.main([LINEAR, '--checkpoint', str(path), '--cfg-options',
                        'model.backbone.depth=18', 'model.head.in_channels=512'])
    assert not marker.exists()


def test_train_resume_and_load_from_refuse_a_crafted_checkpoint(crafted, tmp_path,
                                                               bigearthnet_example):
    path, marker = crafted
    options = ['--cfg-options', f'train_dataloader.dataset.data_root={bigearthnet_example}',
               'train_cfg.max_epochs=1']
    with pytest.raises(UnsafeCheckpointError, match=r'crafted\.pth.*io\.open'):
        train.main([DEMO, '--work-dir', str(tmp_path / 'resume'), '--resume', str(path),
                    *options])
    with pytest.raises(UnsafeCheckpointError, match=r'crafted\.pth.*io\.open'):
        train.main([DEMO, '--work-dir', str(tmp_path / 'load'), *options, f'load_from={path}'])
    assert not marker.exists()


def test_test_tool_refuses_a_crafted_checkpoint(crafted, tmp_path):
    path, marker = crafted
    make_fake_eurosat(tmp_path / 'eurosat', samples_per_class=1, size=32)
    loader = {'batch_size': 2, 'num_workers': 0, 'persistent_workers': False,
              'dataset.data_root': str(tmp_path / 'eurosat'), 'dataset.split_file': None}
    options = [f'test_dataloader.{k}={v}' for k, v in loader.items()]
    with pytest.raises(UnsafeCheckpointError, match=r'crafted\.pth.*io\.open'):
        test.main([LINEAR, str(path), '--work-dir', str(tmp_path / 'work'), '--cfg-options',
                   'model.backbone.depth=18', 'model.head.in_channels=512',
                   'model.backbone.init_cfg=None', *options])
    assert not marker.exists()
