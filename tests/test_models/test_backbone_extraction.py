"""Backbone extraction from each algorithm's checkpoint layout, and the pre-load checks."""
import pytest
import torch

from eossl.checkpoints import check_pretrained, extract_backbone, pretrained_inits
from eossl.checkpoints.pretrained_check import PretrainedMismatchError
from eossl.registry import MODELS


def resnet(bands: int) -> torch.nn.Module:
    """A ResNet-18 backbone taking ``bands`` input bands."""
    return MODELS.build(dict(type='EOResNet', depth=18, in_channels=bands, out_indices=(3, )))


def prefixed(prefix: str, module: torch.nn.Module) -> dict:
    """``module``'s state dict with ``prefix`` on every key (as inside an algorithm)."""
    return {prefix + k: v for k, v in module.state_dict().items()}


def test_single_backbone_checkpoints_keep_the_backbone_prefix():
    net = resnet(13)
    checkpoint = {'state_dict': {**prefixed('backbone.', net), 'neck.fc.weight': torch.zeros(1),
                                 'head.loss.t': torch.zeros(1)}, 'meta': {}}
    state, info = extract_backbone(checkpoint)
    assert list(state) == list(prefixed('backbone.', net))
    assert info == {'taken_from': {'backbone.': 'backbone.'}, 'in_channels': {'backbone.': 13}}


def test_teacher_is_the_default_when_a_checkpoint_has_one():
    student, teacher = resnet(4), resnet(4)
    torch.nn.init.constant_(teacher.conv1.weight, 1.0)
    state = {**prefixed('backbone.', student), **prefixed('teacher.module.backbone.', teacher)}
    auto, _ = extract_backbone(state)
    assert torch.equal(auto['backbone.conv1.weight'], teacher.conv1.weight)
    chosen, _ = extract_backbone(state, source='student')
    assert torch.equal(chosen['backbone.conv1.weight'], student.conv1.weight)
    with pytest.raises(ValueError, match="source='teacher': no 'teacher.module.backbone.' keys"):
        extract_backbone(prefixed('backbone.', student), source='teacher')


def test_dual_simclr_checkpoint_gives_one_or_both_modalities():
    s1, s2 = resnet(2), resnet(13)
    state = {**prefixed('s1_backbone.', s1), **prefixed('s2_backbone.', s2),
             **{'s1_neck.mlp.weight': torch.zeros(1)}}
    both, info = extract_backbone(state)
    assert set(both) == set(prefixed('backbone.s1.', s1)) | set(prefixed('backbone.s2.', s2))
    assert info['in_channels'] == {'backbone.s1.': 2, 'backbone.s2.': 13}
    only_s2, info = extract_backbone(state, modality='s2')
    assert set(only_s2) == set(prefixed('backbone.', s2)) and info['in_channels'] == {
        'backbone.': 13}
    with pytest.raises(ValueError, match="modality='s1' applies to Dual-SimCLR"):
        extract_backbone(prefixed('backbone.', s1), modality='s1')
    with pytest.raises(ValueError, match=r"no 'backbone.' keys in the checkpoint \(it holds "
                                         r'encoder.\)'):
        extract_backbone({'encoder.conv.weight': torch.zeros(1)})


def test_extracted_dual_weights_load_into_the_dual_modality_backbone(tmp_path):
    s1, s2 = resnet(2), resnet(13)
    state, _ = extract_backbone({**prefixed('s1_backbone.', s1), **prefixed('s2_backbone.', s2)})
    path = tmp_path / 'both.pth'
    torch.save({'state_dict': state}, path)
    backbone = MODELS.build(dict(
        type='DualModalityBackbone',
        s1_backbone=dict(type='EOResNet', depth=18, in_channels=2, out_indices=(3, )),
        s2_backbone=dict(type='EOResNet', depth=18, in_channels=13, out_indices=(3, )),
        init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix='backbone.')))
    [(where, module, cfg)] = list(pretrained_inits(backbone))
    assert where == 'model'  # the backbone is the root here
    check_pretrained(module, cfg['checkpoint'], cfg['prefix'], where=where)
    backbone.init_weights()
    assert torch.equal(backbone.s2.conv1.weight, s2.conv1.weight)
    assert torch.equal(backbone.s1.layer4[1].bn2.running_var, s1.layer4[1].bn2.running_var)


def save(tmp_path, module: torch.nn.Module, prefix: str = 'backbone.') -> str:
    """Write ``module`` as an extracted backbone file; returns its path."""
    path = tmp_path / 'backbone.pth'
    torch.save({'state_dict': prefixed(prefix, module)}, path)
    return str(path)


def test_band_count_mismatch_names_both_sides(tmp_path):
    path = save(tmp_path, resnet(12))
    model = MODELS.build(dict(type='EOResNet', depth=18, bands=tuple(f'B{i}' for i in range(
        1, 14)), out_indices=(3, )))
    with pytest.raises(PretrainedMismatchError) as error:
        check_pretrained(model, path, 'backbone.', where='model.backbone')
    message = str(error.value)
    assert 'pretrained on 12 input bands (first layer conv1.weight (64, 12, 7, 7))' in message
    assert "backbone EOResNet takes 13 (bands=('B1'" in message and path in message


def test_band_mismatch_of_one_modality_of_a_dual_backbone(tmp_path):
    state, _ = extract_backbone({**prefixed('s1_backbone.', resnet(2)),
                                 **prefixed('s2_backbone.', resnet(12))})
    path = tmp_path / 'both.pth'
    torch.save({'state_dict': state}, path)
    dual = MODELS.build(dict(type='DualModalityBackbone',
                             s1_backbone=dict(type='EOResNet', depth=18, in_channels=2),
                             s2_backbone=dict(type='EOResNet', depth=18, in_channels=13)))
    with pytest.raises(PretrainedMismatchError, match=r'12 input bands \(first layer '
                                                      r's2.conv1.weight.*takes 13'):
        check_pretrained(dual, str(path), 'backbone.')


def test_missing_file_wrong_prefix_and_foreign_layout_are_errors(tmp_path):
    model = resnet(4)
    with pytest.raises(FileNotFoundError,
                       match=r"model.backbone.init_cfg.checkpoint='.*gone.pth': no such local"):
        check_pretrained(model, str(tmp_path / 'gone.pth'), where='model.backbone')
    path = save(tmp_path, model)
    with pytest.raises(PretrainedMismatchError, match="no key starts with prefix 'encoder.'"):
        check_pretrained(model, path, 'encoder.')
    vit = MODELS.build(dict(type='EOVisionTransformer', arch=dict(embed_dims=8, num_layers=1,
                                                                 num_heads=2),
                            in_channels=4, img_size=16, patch_size=8))
    with pytest.raises(PretrainedMismatchError, match='none of its .* keys .* is a key of'):
        check_pretrained(vit, path, 'backbone.')
    check_pretrained(model, path, 'backbone.')  # the matching case passes


def test_other_shape_mismatches_are_listed(tmp_path):
    wide = MODELS.build(dict(type='EOVisionTransformer', arch=dict(embed_dims=8, num_layers=1,
                                                                  num_heads=2),
                             in_channels=4, img_size=32, patch_size=8))
    path = save(tmp_path, wide)
    small = MODELS.build(dict(type='EOVisionTransformer', arch=dict(embed_dims=8, num_layers=1,
                                                                   num_heads=2),
                              in_channels=4, img_size=16, patch_size=8))
    with pytest.raises(PretrainedMismatchError, match=r'pos_embed: checkpoint \(1, 17, 8\) vs '
                                                      r'recipe \(1, 5, 8\)'):
        check_pretrained(small, path, 'backbone.')
