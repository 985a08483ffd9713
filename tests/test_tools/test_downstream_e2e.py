"""End to end on generated data: pretrain → extract → linear probe, UPerNet, kNN probe.

A tiny Dual-SimCLR run (ResNet-18 per modality, one step on four fake SEN12MS pairs) is the
pretraining; its S2 backbone (13 bands) is extracted with the converter tool and loaded by the
real downstream recipes — the EuroSAT linear probe and the DFC2020 UPerNet — shrunk to
ResNet-18 and a few iterations by overrides. Each run must report its metric as a finite number
in range, and the recipes' checks must stop a run with a bad checkpoint before it starts.
"""
import importlib.util
import math
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from eossl.checkpoints.pretrained_check import PretrainedMismatchError
from eossl.testing import make_fake_dfc2020, make_fake_eurosat, make_fake_sen12ms

REPO = Path(__file__).resolve().parents[2]
PRETRAIN = REPO / 'configs/dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms.py'
LINEAR = REPO / 'configs/benchmarks/classification/rn50_linear_eurosat.py'
UPERNET = REPO / 'configs/benchmarks/segmentation/upernet_rn50_dfc2020.py'
LOADER = dict(batch_size=4, num_workers=0, persistent_workers=False, pin_memory=False)


def loader_options(*names: str, data_root: Path, **dataset) -> dict:
    """``--cfg-options``-style overrides of the named dataloaders."""
    out = {}
    for name in names:
        out.update({f'{name}.{k}': v for k, v in LOADER.items()})
        out[f'{name}.dataset.data_root'] = str(data_root)
        out.update({f'{name}.dataset.{k}': v for k, v in dataset.items()})
    return out


def build_runner(config: Path, work_dir: Path, options: dict) -> Runner:
    """The Runner tools/train.py would build for ``config`` with ``options``."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    cfg.work_dir, cfg.experiment_name = str(work_dir), work_dir.name
    return Runner.from_cfg(cfg)


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory) -> dict[str, Path]:
    """Fake data, one Dual-SimCLR step, and the extracted S2 backbone."""
    root = tmp_path_factory.mktemp('downstream')
    make_fake_sen12ms(root / 'sen12ms', num_patches=4, size=128)
    make_fake_eurosat(root / 'eurosat', samples_per_class=1, size=32)
    make_fake_dfc2020(root / 'dfc2020', num_patches=2, size=224)
    options = {'model.s1_backbone.depth': 18, 'model.s2_backbone.depth': 18,
               **{f'model.{n}_neck.{k}': 512 for n in ('s1', 's2')
                  for k in ('in_channels', 'hid_channels')},
               'train_cfg.max_epochs': 1, 'default_hooks.checkpoint.interval': 1,
               **loader_options('train_dataloader', data_root=root / 'sen12ms')}
    with DefaultScope.overwrite_default_scope('eossl'):
        build_runner(PRETRAIN, root / 'pretrain', options).train()
    backbone = root / 's2_backbone.pth'
    meta = importlib.import_module('eossl.cli.extract_backbone').main(
        [str(root / 'pretrain' / 'epoch_1.pth'), str(backbone), '--modality', 's2'])
    assert meta['in_channels'] == {'backbone.': 13}
    return {'root': root, 'backbone': backbone}


def linear_probe_options(pretrained: dict, checkpoint: Path) -> dict:
    """The EuroSAT ResNet-50 linear probe shrunk to ResNet-18, one epoch, fake EuroSAT."""
    return {'model.backbone.depth': 18, 'model.head.in_channels': 512,
            'model.backbone.init_cfg.checkpoint': str(checkpoint), 'train_cfg.max_epochs': 1,
            **loader_options('train_dataloader', 'val_dataloader', 'test_dataloader',
                             data_root=pretrained['root'] / 'eurosat', split_file=None)}


def test_linear_probe_reports_accuracy_and_keeps_the_backbone(pretrained, tmp_path):
    runner = build_runner(LINEAR, tmp_path / 'linear',
                          linear_probe_options(pretrained, pretrained['backbone']))
    runner.train()
    accuracy = runner.message_hub.get_scalar('val/accuracy/top1').current()
    print(f'linear probe (fake EuroSAT, 1 epoch): top-1 {accuracy:.1f} %')
    assert math.isfinite(accuracy) and 0 <= accuracy <= 100
    # the pretrained weights were loaded and the frozen backbone (BN statistics too) kept them
    saved = torch.load(pretrained['backbone'], weights_only=True)['state_dict']
    for key, value in runner.model.backbone.state_dict().items():
        assert torch.equal(value, saved['backbone.' + key]), key


def test_upernet_finetune_reports_miou(pretrained, tmp_path):
    options = {'model.backbone.depth': 18,
               'model.backbone.init_cfg.checkpoint': str(pretrained['backbone']),
               'model.decode_head.in_channels': [64, 128, 256, 512],
               'model.decode_head.channels': 16, 'model.auxiliary_head.in_channels': 256,
               'model.auxiliary_head.channels': 16, 'train_cfg.max_iters': 2,
               **loader_options('train_dataloader', 'test_dataloader',
                                data_root=pretrained['root'] / 'dfc2020'),
               'train_dataloader.batch_size': 2, 'test_dataloader.batch_size': 2}
    runner = build_runner(UPERNET, tmp_path / 'upernet', options)
    runner.train()
    metrics = runner.test()
    print(f'UPerNet (fake DFC2020, 2 iterations): mIoU {metrics["mIoU"]:.1f}')
    assert math.isfinite(metrics['mIoU']) and 0 <= metrics['mIoU'] <= 100


def test_knn_probe_tool_reports_accuracy(pretrained):
    knn = importlib.import_module('eossl.cli.knn_probe')
    options = [f'{k}={v}' for k, v in loader_options(
        'train_dataloader', 'val_dataloader', data_root=pretrained['root'] / 'eurosat',
        split_file=None).items() if 'persistent' not in k and 'pin_memory' not in k]
    options += ['model.backbone.depth=18', 'model.head.in_channels=512']
    metrics = knn.main([str(LINEAR), '--checkpoint', str(pretrained['backbone']), '--k', '3',
                        '--cfg-options', *options])
    assert 0 <= metrics['accuracy'] <= 100 and metrics['k'] == 3
    assert metrics['train_samples'] == metrics['query_samples'] == 10


def test_recipe_refuses_a_checkpoint_of_another_band_count(pretrained, tmp_path):
    state = torch.load(pretrained['backbone'], weights_only=True)
    state['state_dict']['backbone.conv1.weight'] = torch.zeros(64, 12, 7, 7)
    twelve_bands = tmp_path / 'twelve_bands.pth'
    torch.save(state, twelve_bands)
    runner = build_runner(LINEAR, tmp_path / 'bad', linear_probe_options(pretrained,
                                                                          twelve_bands))
    with pytest.raises(PretrainedMismatchError, match=r'12 input bands .* takes 13'):
        runner.train()


def test_recipe_refuses_a_missing_checkpoint(pretrained, tmp_path):
    missing = tmp_path / 'nowhere.pth'
    runner = build_runner(LINEAR, tmp_path / 'missing', linear_probe_options(pretrained,
                                                                              missing))
    with pytest.raises(FileNotFoundError,
                       match=r'model\.backbone\.init_cfg\.checkpoint=.*nowhere'):
        runner.train()


def test_recipe_refuses_a_head_of_another_class_count(pretrained, tmp_path):
    options = {**linear_probe_options(pretrained, pretrained['backbone']),
               'model.head.num_classes': 19}
    runner = build_runner(LINEAR, tmp_path / 'classes', options)
    with pytest.raises(ValueError, match=r'EuroSAT has 10 classes .*head\.num_classes=19'):
        runner.train()
