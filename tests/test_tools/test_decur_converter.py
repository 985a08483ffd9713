"""Official DeCUR checkpoints → eossl: the training checkpoint, the released backbone files and
torchgeo's copies, in the key layout the official model code produces (recorded in
``tests/data/parity/decur.npz`` from zhu-xlab/DeCUR; values by the generator's fixed rule)."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

import eossl  # noqa: F401  (registers the components)
from eossl.models.utils.decur_checkpoint import backbone_state, decur_to_eossl
from eossl.parity.decur import seeded_state
from eossl.registry import MODELS

REF = np.load(Path(__file__).parents[2] / 'tests/data/parity/decur.npz')
LAYOUT = json.loads(str(REF['state_layout']))


@pytest.fixture(scope='module')
def official() -> dict:
    """``DeCUR`` state dict as pretrain_mm.py saves it (DDP-wrapped: ``module.`` keys)."""
    return {f'module.{k}': v for k, v in seeded_state(LAYOUT).items()}


def _released(official: dict, index: int) -> dict:
    """What convert_backbone.py writes: ``module.backbone_<i>.`` stripped, everything else out."""
    prefix = f'module.backbone_{index}.'
    return {k[len(prefix):]: v for k, v in official.items() if k.startswith(prefix)}


@pytest.mark.parametrize('modality,index,bands', [('s1', 1, 2), ('s2', 2, 13)])
def test_released_and_torchgeo_backbones_load_strictly_into_eoresnet(official, modality, index,
                                                                    bands):
    released = _released(official, index)
    backbone = MODELS.build(dict(type='EOResNet', depth=50, in_channels=bands, out_indices=(3, )))
    for source in (released,  # the README's backbone-only file (torchgeo hosts the same one)
                   {**released, 'fc.weight': torch.zeros(1000, 2048), 'fc.bias': torch.zeros(1000)},
                   {'epoch': 100, 'model': official, 'optimizer': {}}):
        state = backbone_state(source, modality)
        backbone.load_state_dict(state, strict=True)
        assert all(torch.equal(state[k], v) for k, v in released.items())


def test_training_checkpoint_converts_to_the_whole_model_with_the_shared_projector(official):
    state = decur_to_eossl({'epoch': 100, 'model': official, 'optimizer': {}})
    assert torch.equal(state['s1_neck.fc2.weight'], official['module.projector1.6.weight'])
    assert torch.equal(state['s2_neck.bn1.running_var'],
                       official['module.projector2.4.running_var'])
    assert not any(k.startswith('bn.') for k in state)  # the affine-free standardization
    assert {k.split('.')[0] for k in state} == {'s1_backbone', 's2_backbone', 's1_neck', 's2_neck'}


def test_unknown_keys_and_wrong_layouts_are_named(official):
    with pytest.raises(ValueError, match="'module.da1_l3.offset'|key 'da1_l3.offset'"):
        decur_to_eossl({'model': {**official, 'module.da1_l3.offset': torch.zeros(1)}})
    with pytest.raises(ValueError, match='backbone-only file converts with backbone_state'):
        decur_to_eossl({'model': _released(official, 1)})
    with pytest.raises(ValueError, match="modality must be 's1' or 's2'"):
        backbone_state({'model': official}, 'rgb')
    with pytest.raises(ValueError, match='not a torchvision ResNet'):
        backbone_state({'blocks.0.attn.qkv.weight': torch.zeros(3, 3)}, 's1')


def test_named_weights_load_a_released_file_placed_in_the_weights_dir(official, tmp_path,
                                                                      monkeypatch):
    from eossl.models.weights import build_backbone, get_weights
    released = _released(official, 1)
    torch.save(released, tmp_path / 'decur_rn50_s1.pth')
    monkeypatch.setenv('EOSSL_WEIGHTS_DIR', str(tmp_path))
    assert get_weights('decur_rn50_s1').bands == ('VV', 'VH')
    backbone = build_backbone('decur_rn50_s1')
    assert torch.equal(backbone.state_dict()['layer4.2.conv3.weight'],
                       released['layer4.2.conv3.weight'])
    torch.save({'model': official}, tmp_path / 'decur_rn50_s2.pth')  # the joint checkpoint
    with pytest.raises(ValueError, match='full DeCUR checkpoint with both backbones'):
        build_backbone('decur_rn50_s2')
