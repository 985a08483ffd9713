"""Downstream model parts: the dual-modality backbone, the frozen classifier, preprocessors."""
import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmpretrain.structures import DataSample
from mmseg.structures import SegDataSample

from eossl.registry import MODELS


def dual_backbone(prefix: str = '') -> dict:
    """Two ResNet-18s: S1 (VV, VH) and a 4-band S2; ``prefix`` = ``'eossl.'`` outside eossl."""
    resnet = dict(type=f'{prefix}EOResNet', depth=18, out_indices=(3, ))
    return dict(type=f'{prefix}DualModalityBackbone', s1_backbone=dict(resnet, bands=('VV', 'VH')),
                s2_backbone=dict(resnet, in_channels=4))


def test_dual_backbone_concatenates_the_pooled_features_s1_first():
    backbone = MODELS.build(dual_backbone()).eval()
    inputs = {'s1': torch.rand(3, 2, 32, 32), 's2': torch.rand(3, 4, 32, 32)}
    (out, ) = backbone(inputs)
    assert out.shape == (3, 1024)
    with torch.no_grad():
        s1 = backbone.s1(inputs['s1'])[-1].mean(dim=(2, 3))
        s2 = backbone.s2(inputs['s2'])[-1].mean(dim=(2, 3))
        torch.testing.assert_close(backbone(inputs)[0], torch.cat([s1, s2], dim=1))
    with pytest.raises(ValueError, match=r"keys \('s1', 's2'\).*got \['s2'\]"):
        backbone({'s2': inputs['s2']})


def classifier(freeze: bool) -> torch.nn.Module:
    """An mmpretrain-scope EOImageClassifier on :func:`dual_backbone`, 3 classes."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(dict(
            type='eossl.EOImageClassifier', freeze_backbone=freeze,
            data_preprocessor=dict(type='eossl.EOClsDataPreprocessor',
                                   mean=dict(s1=[0.0] * 2, s2=[0.0] * 4),
                                   std=dict(s1=[1.0] * 2, s2=[2.0] * 4)),
            backbone=dual_backbone('eossl.'),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=1024)))


def batch() -> dict:
    """Four S1/S2 samples as ``pseudo_collate`` gives them, labels 0, 1, 2, 0."""
    return dict(inputs={'s1': [torch.rand(2, 16, 16) for _ in range(4)],
                        's2': [torch.rand(4, 16, 16) for _ in range(4)]},
                data_samples=[DataSample().set_gt_label(i % 3) for i in range(4)])


def test_linear_probe_trains_only_the_head_and_keeps_bn_statistics():
    model = classifier(freeze=True)
    model.train()
    assert not model.backbone.training and model.head.training
    assert not any(p.requires_grad for p in model.backbone.parameters())
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    head_before = model.head.fc.weight.clone()
    optim = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    loss = model(**model.data_preprocessor(batch(), True), mode='loss')['loss']
    loss.backward()
    optim.step()
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, before[key]), key  # weights AND running statistics
    assert not torch.equal(model.head.fc.weight, head_before)


def test_fine_tuning_trains_the_backbone():
    model = classifier(freeze=False).train()
    assert model.backbone.training
    loss = model(**model.data_preprocessor(batch(), True), mode='loss')['loss']
    loss.backward()
    assert model.backbone.s2.conv1.weight.grad.abs().sum() > 0


def test_cls_preprocessor_normalizes_each_modality_and_refuses_batch_augments():
    model = classifier(freeze=True)
    data = batch()
    data['inputs']['s2'][0][0, 0, 0] = float('nan')
    out = model.data_preprocessor(data, False)['inputs']
    assert out['s1'].shape == (4, 2, 16, 16) and out['s2'].shape == (4, 4, 16, 16)
    torch.testing.assert_close(out['s2'][1], data['inputs']['s2'][1] / 2)
    assert out['s2'][0, 0, 0, 0] == 0
    with pytest.raises(ValueError, match='batch augmentations .* not supported'):
        MODELS.build(dict(type='EOClsDataPreprocessor', batch_augments=dict(augments=[])))


def test_seg_preprocessor_normalizes_by_band_name_pads_and_zeroes_nan():
    pre = MODELS.build(dict(type='EOSegDataPreprocessor', stats='bigearthnet:s1_grd',
                            size_divisor=8))
    images = [torch.full((2, 6, 5), -12.619993741972035), torch.zeros(2, 6, 6)]
    images[1][1, 0, 0] = float('nan')
    samples = [SegDataSample(gt_sem_seg=PixelData(data=torch.ones(1, *im.shape[1:]).long()),
                             metainfo=dict(img_shape=im.shape[1:])) for im in images]
    out = pre(dict(inputs=images, data_samples=samples), True)
    assert out['inputs'].shape == (2, 2, 8, 8)
    assert out['inputs'][0, 0, :6, :5].abs().max() < 1e-6  # the VV mean -> 0
    assert out['inputs'][1, 1, 0, 0] == 0 and not out['inputs'].isnan().any()
    label = out['data_samples'][0].gt_sem_seg.data
    assert label.shape == (1, 8, 8)
    assert (label[:, 6:] == 255).all() and (label[:, :, 5:] == 255).all()
    with pytest.raises(ValueError, match='input has 3 bands but mean/std have 2'):
        pre(dict(inputs=[torch.zeros(3, 4, 4)], data_samples=None), False)
