"""copernicus-l2 recipes: every protocol field, and an official SoftCon key layout end to end."""
import glob
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.registry import DATASETS, MODELS, init_default_scope

import eossl
from eossl.cli.softcon_to_eossl import main as softcon_to_eossl
from eossl.datasets.bands import resolve_bands
from eossl.testing.copernicus_bench import (
    make_fake_copernicus_bigearthnet,
    make_fake_copernicus_dfc2020,
)

RECIPES = Path(__file__).parents[2] / 'configs' / 'benchmarks' / 'copernicus_l2'
# (lr, multi-label, classes, dataset type, sensor) of each task, from Copernicus-Bench's configs
TASKS = {
    'linear_eurosat-s1': (0.1, False, 10, 'CopernicusBenchEuroSAT', 's1'),
    'linear_eurosat-s2': (0.1, False, 10, 'CopernicusBenchEuroSAT', 's2'),
    'linear_bigearthnet-s1': (1.0, True, 19, 'CopernicusBenchBigEarthNet', 's1'),
    'linear_bigearthnet-s2': (1.0, True, 19, 'CopernicusBenchBigEarthNet', 's2'),
    'upernet_dfc2020-s1': (1e-3, False, 8, 'CopernicusBenchDFC2020', 's1'),
    'upernet_dfc2020-s2': (1e-3, False, 8, 'CopernicusBenchDFC2020', 's2'),
}


def _recipe(task: str) -> Config:
    return Config.fromfile(str(RECIPES / f'softcon-vitb14_{task}.py'))


def test_every_task_has_one_recipe():
    found = {Path(f).stem.split('_', 1)[1] for f in glob.glob(str(RECIPES / 'softcon-*.py'))}
    assert found == set(TASKS)


@pytest.mark.parametrize('task', sorted(TASKS))
def test_recipe_equals_the_protocol(task):
    lr, multi_label, classes, dataset, sensor = TASKS[task]
    cfg = _recipe(task)
    seg = task.startswith('upernet')
    backbone = cfg.model.backbone
    assert (backbone.type, backbone.arch, backbone.patch_size, backbone.img_size) == \
        ('eossl.EOVisionTransformer', 'base', 14, 224)
    assert backbone.layer_scale_init_value == 1e-5
    assert len(resolve_bands(backbone.bands) or ()) == (2 if sensor == 's1' else 13)
    assert backbone.init_cfg.checkpoint.endswith(f'softcon_vitb14_{sensor}_backbone.pth')
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        assert loader.dataset.type == f'eossl.{dataset}' and loader.dataset.split == split
        assert loader.dataset.modality == sensor
        steps = {s['type']: s for s in loader.dataset.pipeline}
        resizes = [s for s in loader.dataset.pipeline if s['type'] == 'eossl.EOResize']
        if seg:  # image bilinear, label map nearest
            assert [(s['keys'], s.get('resample', 'bilinear'), s['size']) for s in resizes] == \
                [(('img', ), 'bilinear', 224), (('gt_seg_map', ), 'nearest', 224)]
        else:
            assert steps['eossl.LoadMultiBandImage']['target_size'] == 224
        assert 'eossl.TwoSigmaScale' in steps
        assert ('eossl.EORandomFlip' in steps) == (split == 'train')
    assert cfg.train_cfg.max_epochs == 50
    (onecycle, momentum) = cfg.param_scheduler
    assert onecycle.type == 'OneCycleLR' and onecycle.eta_max == lr
    assert (onecycle.pct_start, onecycle.anneal_strategy) == (0.0, 'cos')  # no warm-up, cosine
    assert (onecycle.div_factor, onecycle.final_div_factor) == (25, 1e4)  # torch defaults
    assert onecycle.convert_to_iter_based and momentum.eta_min == 0.95
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.lr == lr
    if seg:
        assert cfg.train_dataloader.batch_size == 16
        assert (optimizer.type, optimizer.weight_decay, optimizer.betas[0]) == ('AdamW', 0.01,
                                                                               0.85)
        assert tuple(backbone.out_indices) == (4, 6, 10, 11) and backbone.out_type == 'featmap'
        assert cfg.model.neck.type == 'Feature2Pyramid'
        assert list(cfg.model.neck.rescales) == [4, 2, 1, 0.5]
        head, aux = cfg.model.decode_head, cfg.model.auxiliary_head
        assert (head.type, head.channels, head.num_classes) == ('UPerHead', 512, classes)
        assert (aux.type, aux.in_index, aux.channels, aux.num_convs, aux.concat_input) == \
            ('FCNHead', 2, 256, 1, False)
        assert aux.loss_decode.loss_weight == 0.4 and head.loss_decode.loss_weight == 1.0
        assert head.loss_decode.avg_non_ignore and aux.num_classes == classes
        assert cfg.test_evaluator.ignore_index == 255
    else:
        assert cfg.train_dataloader.batch_size == 64
        assert (optimizer.type, optimizer.weight_decay, optimizer.momentum) == ('SGD', 1e-4,
                                                                               0.85)
        assert cfg.model.freeze_backbone and backbone.out_type == 'avg_featmap'  # mean tokens
        head = cfg.model.head
        assert head.num_classes == classes
        assert head.type == ('MultiLabelLinearClsHead' if multi_label else 'LinearClsHead')
        assert head.loss.get('use_sigmoid', False) == multi_label


def test_sigmoid_cross_entropy_is_multilabel_soft_margin():
    eossl.register_all_modules(init_default_scope=False)
    loss = MODELS.build(dict(type='mmpretrain.CrossEntropyLoss', use_sigmoid=True))
    scores, labels = torch.randn(6, 19), (torch.rand(6, 19) < 0.3).float()
    expected = torch.nn.MultiLabelSoftMarginLoss()(scores, labels)
    assert torch.allclose(loss(scores, labels), expected, atol=1e-6)


def _official_softcon_state(bands: int, dim: int, depth: int, grid: int) -> dict:
    """Random tensors under the official SoftCon ViT-B/14 (DINOv2) key names."""
    state = {'cls_token': torch.randn(1, 1, dim), 'mask_token': torch.randn(1, dim),
             'pos_embed': torch.randn(1, 1 + grid * grid, dim),
             'patch_embed.proj.weight': torch.randn(dim, bands, 14, 14),
             'patch_embed.proj.bias': torch.randn(dim),
             'norm.weight': torch.randn(dim), 'norm.bias': torch.randn(dim)}
    for i in range(depth):
        for name, shape in (('norm1', (dim, )), ('norm2', (dim, )), ('attn.qkv', (3 * dim, dim)),
                            ('attn.proj', (dim, dim)), ('mlp.fc1', (2 * dim, dim)),
                            ('mlp.fc2', (dim, 2 * dim))):
            state[f'blocks.{i}.{name}.weight'] = torch.randn(shape)
            state[f'blocks.{i}.{name}.bias'] = torch.randn(shape[0])
        state[f'blocks.{i}.ls1.gamma'] = torch.randn(dim)
        state[f'blocks.{i}.ls2.gamma'] = torch.randn(dim)
    return state


def _tiny(cfg: Config, checkpoint: Path, dim: int) -> None:
    """The recipe at toy width (config overrides only, no code): 12 blocks of ``dim``, 56 px."""
    cfg.model.backbone.update(arch=dict(embed_dims=dim, num_layers=12, num_heads=2,
                                        feedforward_channels=2 * dim), img_size=56)
    cfg.model.backbone.init_cfg.checkpoint = str(checkpoint)
    for split in ('train_dataloader', 'val_dataloader'):
        for step in cfg[split].dataset.pipeline:
            if step['type'] == 'eossl.LoadMultiBandImage' and 'target_size' in step:
                step['target_size'] = 56
            if step['type'] == 'eossl.EOResize':
                step['size'] = 56


@pytest.mark.parametrize('task', ['linear_bigearthnet-s2', 'upernet_dfc2020-s1'])
def test_official_softcon_layout_runs_through_copernicus_l2(task, tmp_path):
    eossl.register_all_modules(init_default_scope=False)
    dim, sensor = 16, TASKS[task][4]
    official = tmp_path / 'official.pth'
    state = _official_softcon_state(2 if sensor == 's1' else 13, dim, 12, 4)
    torch.save(state, official)
    converted = tmp_path / 'backbone.pth'
    softcon_to_eossl([str(official), str(converted), '--prefix', 'backbone.'])
    cfg = _recipe(task)
    _tiny(cfg, converted, dim)
    if task.startswith('upernet'):
        root = make_fake_copernicus_dfc2020(tmp_path / 'dfc', per_split=2, size=32)
        cfg.model.neck.embed_dim = dim
        cfg.model.decode_head.in_channels = [dim] * 4
        cfg.model.auxiliary_head.in_channels = dim
        cfg.model.decode_head.channels = cfg.model.auxiliary_head.channels = 8
        cfg.model.decode_head.norm_cfg = cfg.model.auxiliary_head.norm_cfg = dict(type='BN')
        cfg.model.neck.norm_cfg = dict(type='BN')
    else:
        root = make_fake_copernicus_bigearthnet(tmp_path / 'ben', per_split=2, size=12)
        cfg.model.head.in_channels = dim
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    model.init_weights()
    loaded = model.backbone.state_dict()
    assert torch.equal(loaded['patch_embed.proj.weight'], state['patch_embed.proj.weight'])
    assert torch.equal(loaded['blocks.11.ls2.gamma'], state['blocks.11.ls2.gamma'])
    dataset = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=str(root)))
    batch = default_collate([dataset[0], dataset[1]])
    model.train()
    if task.startswith('upernet'):
        labels = torch.cat([s.gt_sem_seg.data.flatten() for s in batch['data_samples']])
        assert set(labels.unique().tolist()) <= set(range(8)) | {255}  # never interpolated
    losses = model(**model.data_preprocessor(batch, True), mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
