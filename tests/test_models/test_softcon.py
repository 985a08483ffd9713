"""SoftCon: Siamese masking is really sparse; one training step of each recipe family."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

import eossl  # noqa: F401  (registers the components)
from eossl.models.backbones import EOVisionTransformer
from eossl.models.selfsup.siamese_masking import random_keep_indices, visible_cls_token
from eossl.registry import DATASETS, MODELS

TINY = dict(embed_dims=24, num_layers=2, num_heads=3)


def _recipe_model(repo_root, name: str) -> torch.nn.Module:
    """The recipe's model, without its RGB checkpoint (tests never read weight files)."""
    cfg = Config.fromfile(repo_root / 'configs' / 'softcon' / name)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.pop('init_cfg')
    return MODELS.build(model_cfg)


def _batch(bands: int, size: int, labels: list[list[int]]) -> dict:
    """Two views of len(labels) scenes with multi-label ``gt_label``, as the pipeline packs."""
    gen = torch.Generator().manual_seed(0)
    samples = [DataSample().set_gt_label(lab) for lab in labels]
    views = [[torch.rand(bands, size, size, generator=gen) * 3000 for _ in labels]
             for _ in range(2)]
    return {'inputs': views, 'data_samples': samples}


def _check_step(model: torch.nn.Module, data: dict, frozen: set[str]) -> None:
    """One optimizer step: finite loss; every trainable parameter and only those get a gradient."""
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    log = model.train_step(data, optim)
    assert torch.isfinite(log['loss'])
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    assert {n for n, p in model.named_parameters() if not p.requires_grad} == frozen
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed == names
    model.zero_grad(set_to_none=True)
    loss = model(**model.data_preprocessor(data, True), mode='loss')['loss']
    loss.backward()
    with_grad = {n for n, p in model.named_parameters() if p.grad is not None}
    assert with_grad == names


def test_masked_vit_encodes_only_the_visible_tokens():
    vit = EOVisionTransformer(TINY, in_channels=4, img_size=56, patch_size=14).eval()
    lengths = []
    vit.blocks[0].register_forward_pre_hook(lambda m, args: lengths.append(args[0].shape[1]))
    keep = random_keep_indices(3, 16, 0.75)
    assert keep.shape == (3, 4) and all(len(set(row.tolist())) == 4 for row in keep)
    x = torch.randn(3, 4, 56, 56)
    cls = visible_cls_token(vit, x, keep)
    assert lengths == [1 + 4] and cls.shape == (3, 24)
    # pixels of dropped patches cannot change the output
    hidden = torch.ones(3, 16, dtype=torch.bool)
    hidden[torch.arange(3)[:, None], keep] = False
    mask = hidden.reshape(3, 1, 4, 1, 4, 1).expand(-1, 4, -1, 14, -1, 14).reshape(3, 4, 56, 56)
    torch.testing.assert_close(visible_cls_token(vit, x + mask * 100.0, keep), cls)


def test_keep_indices_are_independent_per_view_and_sample():
    torch.manual_seed(0)
    keep = random_keep_indices(64, 16, 0.5)
    assert keep.shape == (64, 8)
    assert len({tuple(sorted(row.tolist())) for row in keep}) > 60
    with pytest.raises(ValueError, match='mask_ratio'):
        random_keep_indices(2, 16, 1.0)


def test_vit_recipe_family_trains_one_step(repo_root):
    model = _recipe_model(repo_root, 'softcon_vits14_s2_100e_ssl4eo.py')
    assert model.mask_ratio == 0.5 and model.num_classes == 9
    lengths = []
    model.backbone.blocks[0].register_forward_pre_hook(
        lambda m, args: lengths.append(args[0].shape[1]))
    # 28 px: a 2 x 2 patch grid, of which each view keeps 2 patches (+ CLS)
    data = _batch(13, 28, [[0, 3], [3], [], [1, 2, 8]])
    _check_step(model, data, frozen={'backbone.mask_token'})
    assert lengths[0] == 1 + 2
    model.eval()
    with torch.no_grad():
        assert model.extract_feat(torch.randn(2, 13, 28, 28)).shape == (2, 384)


def test_resnet_recipe_family_trains_one_step(repo_root):
    model = _recipe_model(repo_root, 'softcon_rn50_s1_100e_ssl4eo.py')
    data = _batch(2, 32, [[0], [0, 1], [5], [2, 7]])
    _check_step(model, data, frozen=set())
    model.eval()
    with torch.no_grad():
        assert model.extract_feat(torch.randn(2, 2, 32, 32)).shape == (2, 2048)


def _tiny_softcon(**kwargs) -> torch.nn.Module:
    cfg = dict(type='SoftCon', num_classes=4,
               backbone=dict(type='EOVisionTransformer', arch=TINY, in_channels=3, img_size=28,
                             patch_size=14),
               neck=dict(type='mmpretrain.NonLinearNeck', in_channels=24, hid_channels=16,
                         out_channels=8, with_avg_pool=False, norm_cfg=dict(type='BN1d')),
               head=dict(type='SoftContrastiveHead', loss=dict(type='SoftContrastiveLoss')))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_labels_become_multi_hot_and_bad_labels_are_named():
    model = _tiny_softcon()
    samples = [DataSample().set_gt_label([0, 3]), DataSample(), DataSample().set_gt_label([])]
    labels = model.multi_hot(samples, 3, torch.device('cpu'))
    assert labels.tolist() == [[1, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert _tiny_softcon(num_classes=None).multi_hot(samples, 3, torch.device('cpu')) is None
    bad = [DataSample(metainfo=dict(sample_id='0000042')).set_gt_label([4])]
    with pytest.raises(ValueError, match=r"'0000042' has gt_label \[4\]"):
        model.multi_hot(bad, 1, torch.device('cpu'))


def test_rejects_bad_configurations_and_inputs():
    with pytest.raises(ValueError, match='needs an EOVisionTransformer'):
        _tiny_softcon(mask_ratio=0.5, backbone=dict(type='EOResNet', depth=18, in_channels=3))
    with pytest.raises(ValueError, match="out_type='cls_token'"):
        _tiny_softcon(backbone=dict(type='EOVisionTransformer', arch=TINY, in_channels=3,
                                    img_size=28, patch_size=14, out_type='featmap'))
    with pytest.raises(ValueError, match='list of two view batches'):
        _tiny_softcon().loss(torch.randn(2, 3, 28, 28))


def test_demo_recipe_runs_on_the_real_bigearthnet_example(repo_root, bigearthnet_example):
    cfg = Config.fromfile(repo_root / 'configs' / 'softcon' /
                          'softcon_vits14_s2_demo_bigearthnet.py')
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset_cfg.data_root = str(bigearthnet_example)
    dataset = DATASETS.build(dataset_cfg)
    data = pseudo_collate([dataset[i] for i in range(len(dataset))])
    assert len(data['inputs']) == 2 and data['inputs'][0][0].shape == (12, 112, 112)
    assert all(len(s.gt_label) for s in data['data_samples'])  # BigEarthNet 19-class labels
    model = MODELS.build(cfg.model)
    optim = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-4))
    assert torch.isfinite(model.train_step(data, optim)['loss'])
