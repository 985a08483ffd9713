"""eossl-benchmark's encoder sources: pretraining checkpoint, extracted backbone, official
SoftCon layout, random init; each loads strictly into the same backbone."""
import pytest
import torch

import eossl
from eossl.evaluation.encoder import build_encoder

ENCODER = 'configs/benchmarks/encoders/vit_tiny_demo_s2.py'


@pytest.fixture(scope='module')
def reference():
    eossl.register_all_modules(init_default_scope=True)
    return build_encoder(ENCODER, seed=5).backbone.state_dict()


def _same(encoder, state) -> bool:
    own = encoder.backbone.state_dict()
    return own.keys() == state.keys() and all(torch.equal(own[k], state[k]) for k in own)


def test_every_weight_source_loads_the_same_backbone(tmp_path, reference):
    pretraining = {'state_dict': {**{f'backbone.{k}': v for k, v in reference.items()},
                                  'neck.fc.weight': torch.zeros(2, 2)}, 'meta': {}}
    torch.save(pretraining, tmp_path / 'epoch_1.pth')
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in reference.items()}},
               tmp_path / 'backbone.pth')
    torch.save(dict(reference), tmp_path / 'official.pth')  # eossl ViT keys = DINOv2 names
    for name, fmt in (('epoch_1.pth', 'eossl'), ('backbone.pth', 'backbone'),
                      ('official.pth', 'softcon')):
        assert _same(build_encoder(ENCODER, str(tmp_path / name), fmt, seed=0), reference), fmt
    assert not _same(build_encoder(ENCODER, seed=0), reference)  # random init, another seed
    assert build_encoder(ENCODER).name.endswith('(random init)')


def test_weights_that_do_not_fit_are_named(tmp_path, reference):
    bad = {f'backbone.{k}': v for k, v in reference.items() if not k.startswith('norm')}
    torch.save({'state_dict': bad}, tmp_path / 'bad.pth')
    with pytest.raises(ValueError, match=r'bad.pth: does not fit .*norm'):
        build_encoder(ENCODER, str(tmp_path / 'bad.pth'), 'backbone')
    torch.save({'state_dict': {'head.w': torch.zeros(1)}}, tmp_path / 'nohead.pth')
    with pytest.raises(ValueError, match='no backbone'):
        build_encoder(ENCODER, str(tmp_path / 'nohead.pth'), 'backbone')
