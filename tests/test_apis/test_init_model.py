"""init_model on shipped recipes: pretraining checkpoints give their backbone (PerA: the EMA
teacher), downstream checkpoints the whole model; embed/predict normalize with the recipe."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS

from eossl.apis import EOInferenceModel, embed, init_model, predict
from eossl.datasets.bands import band_stats

from .conftest import S2_BANDS, TINY_VIT

PERA = 'configs/pera/pera_vits16_s2_200e_ssl4eo.py'
EUROSAT_LINEAR = 'configs/benchmarks/classification/vits16_linear_eurosat.py'
DUAL_SIMCLR = 'configs/dual_simclr/dual_simclr_rn18_s1s2_demo_bigearthnet.py'


def _tiny_vit(repo_root, seed: int):
    """The PerA recipe's backbone with a tiny arch, as the recipe builds it."""
    cfg = Config.fromfile(repo_root / PERA)
    cfg.merge_from_dict({'model.backbone.arch': TINY_VIT})
    torch.manual_seed(seed)
    return MODELS.build(cfg.model.backbone)


def test_pera_checkpoint_gives_the_ema_teacher(repo_root, tmp_path):
    student, teacher = _tiny_vit(repo_root, 0), _tiny_vit(repo_root, 1)
    state = {f'backbone.{k}': v for k, v in student.state_dict().items()}
    state.update({f'teacher.module.backbone.{k}': v for k, v in teacher.state_dict().items()})
    ckpt = tmp_path / 'epoch_200.pth'
    torch.save({'state_dict': state, 'meta': {}}, ckpt)
    options = {'model.backbone.arch': TINY_VIT}
    model = init_model(repo_root / PERA, ckpt, cfg_options=options)
    assert isinstance(model, EOInferenceModel) and model.task == 'embedding'
    assert model.bands == S2_BANDS
    for key, value in teacher.state_dict().items():
        assert torch.equal(model.feature_extractor.state_dict()[key], value), key
    as_student = init_model(repo_root / PERA, ckpt, source='student', cfg_options=options)
    assert torch.equal(as_student.feature_extractor.pos_embed, student.pos_embed)


def test_embed_normalizes_raw_values_with_the_recipe_statistics(repo_root):
    torch.manual_seed(0)
    model = init_model(repo_root / PERA, cfg_options={'model.backbone.arch': TINY_VIT})
    mean, std = band_stats('ssl4eo_s12', 's2_l1c', S2_BANDS)
    raw = np.random.default_rng(0).normal(mean, std, (64, 64, 13)).transpose(2, 0, 1)
    out = embed(model, raw.astype(np.float32))
    assert out['embedding'].shape == (32, ) and out['feature_map'].shape == (32, 4, 4)
    x = (torch.from_numpy(raw).float() - torch.tensor(mean).view(-1, 1, 1)) / \
        torch.tensor(std).view(-1, 1, 1)
    backbone = model.feature_extractor
    backbone.out_type = 'cls_token'
    with torch.no_grad():
        expected = backbone(x[None])[-1][0]
    assert np.allclose(out['embedding'], expected.numpy(), atol=1e-5)
    # a side that is not a multiple of the patch is padded, not refused
    assert embed(model, raw[:, :50, :40].astype(np.float32))['feature_map'].shape == (32, 4, 3)


def test_classification_checkpoint_round_trip_and_scores(repo_root, tmp_path):
    options = {'model.backbone.arch': TINY_VIT, 'model.backbone.img_size': 64,
               'model.head.in_channels': 32}
    torch.manual_seed(0)
    first = init_model(repo_root / EUROSAT_LINEAR, cfg_options=options)
    assert first.task == 'classification'
    ckpt = tmp_path / 'linear.pth'
    torch.save({'state_dict': first.network.state_dict()}, ckpt)
    torch.manual_seed(1)
    loaded = init_model(repo_root / EUROSAT_LINEAR, ckpt, cfg_options=options)
    image = np.random.default_rng(0).uniform(500, 3000, (13, 64, 64)).astype(np.float32)
    scores = predict(loaded, image)['scores']
    assert scores.shape == (10, ) and np.isclose(scores.sum(), 1, atol=1e-5)
    assert np.allclose(scores, predict(first, image)['scores'], atol=1e-6)
    bad = tmp_path / 'bad.pth'
    torch.save({'state_dict': {'head.fc.weight': torch.zeros(3, 32)}}, bad)
    with pytest.raises(ValueError, match='does not match the model of'):
        init_model(repo_root / EUROSAT_LINEAR, bad, cfg_options=options)


def test_dual_simclr_recipe_picks_its_backbone_from_band_names_or_asks(repo_root):
    both = init_model(repo_root / DUAL_SIMCLR)
    with pytest.raises(ValueError, match=r"has no band names: pass --modality \(s1/s2\)"):
        embed(both, np.zeros((2, 32, 32), np.float32))  # no band names
    picked = embed(both, np.full((2, 32, 32), -12.0, np.float32), bands=['VH', 'VV'])
    assert both.encoder == 's1' and both.bands == ('VV', 'VH')
    assert picked['embedding'].shape == (512, )
    s1 = init_model(repo_root / DUAL_SIMCLR, modality='s1')
    assert s1.bands == ('VV', 'VH') and s1.mean.shape[0] == 2
    out = embed(s1, np.full((2, 32, 32), -12.0, np.float32))
    assert out['embedding'].shape == (512, ) and out['feature_map'].shape == (512, 1, 1)
    with pytest.raises(ValueError, match="modality 's3' is not an encoder"):
        init_model(repo_root / DUAL_SIMCLR, modality='s3')


def test_predict_of_a_pretraining_recipe_says_use_embed(repo_root):
    model = init_model(repo_root / PERA, cfg_options={'model.backbone.arch': TINY_VIT})
    with pytest.raises(ValueError, match='no head to predict with'):
        predict(model, np.zeros((13, 32, 32), np.float32))


def test_two_modality_downstream_recipe_is_refused_by_name(repo_root):
    recipe = 'configs/benchmarks/classification/dual_simclr_rn18_linear_bigearthnet-example.py'
    with pytest.raises(ValueError, match=r"several modalities \['s1', 's2'\]"):
        init_model(repo_root / recipe)


def test_recipes_load_by_their_eossl_name():
    model = init_model('eossl::pera_vits.py', cfg_options={'model.backbone.arch': TINY_VIT})
    assert model.task == 'embedding' and model.feature_extractor.embed_dims == 32
