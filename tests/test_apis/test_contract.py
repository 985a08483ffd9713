"""Input contracts from recipes, ``--stats`` for checkpoints without one, the run's saved config
beside a checkpoint, band order from descriptions (a warning without them), and filled bands."""
import numpy as np
import pytest
import rasterio
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import MODELS

from eossl.apis import ContractError, InputContract, contract_from_config, embed, init_model
from eossl.datasets.bands import band_names
from eossl.datasets.transforms.mmearth_loading import DEFAULT_S2_BANDS
from eossl.testing import make_fake_mmearth

from .conftest import TINY_VIT

PERA = 'configs/pera/pera_vits16_s2_200e_ssl4eo.py'
DUAL_SIMCLR = 'configs/dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms.py'
MPMAE = 'configs/mpmae/mpmae_convnextv2-atto_s2_200e_mmearth-56.py'
L1C = band_names('s2_l1c')


def _write(path, pixels: np.ndarray, names=None, nodata=None):
    with rasterio.open(path, 'w', driver='GTiff', height=pixels.shape[1], width=pixels.shape[2],
                       count=pixels.shape[0], dtype=pixels.dtype, nodata=nodata) as dst:
        dst.write(pixels)
        for k, name in enumerate(names or (), start=1):
            dst.set_band_description(k, name)
    return path


def _tiny_pera(repo_root):
    torch.manual_seed(0)
    return init_model(repo_root / PERA, cfg_options={'model.backbone.arch': TINY_VIT})


def test_recipe_contracts_name_bands_rules_and_statistics(repo_root, tmp_path):
    pera = contract_from_config(Config.fromfile(repo_root / PERA))
    assert pera.encoders['backbone'].bands == list(L1C)
    assert pera.encoders['backbone'].patch_size == 16 and pera.method == 'PerA'
    dual = contract_from_config(Config.fromfile(repo_root / DUAL_SIMCLR))
    assert set(dual.encoders) == {'s1', 's2'} and dual.encoders['s1'].bands == ['VV', 'VH']
    rules = [r['type'] for r in dual.encoders['s1'].value_transforms]
    assert rules == ['ClipValues', 'PerSampleMaxNormalize']
    assert dual.encoders['s1'].value_transforms[0]['offset'] == 25.0
    assert InputContract.from_dict(dual.to_dict()) == dual  # what a checkpoint stores
    mpmae_cfg = Config.fromfile(repo_root / MPMAE)
    with pytest.raises(ContractError, match='pass --stats FILE'):
        contract_from_config(mpmae_cfg)
    folder = make_fake_mmearth(tmp_path, num_samples=3, size=8)
    stats_file = next(folder.glob('*_band_stats.json'))
    from eossl.apis.contract_builder import read_band_stats
    spec = contract_from_config(mpmae_cfg, band_stats=read_band_stats(stats_file)).encoders[
        'backbone']
    assert spec.bands == list(DEFAULT_S2_BANDS) and set(spec.product_stats) == {'l1c', 'l2a'}
    assert spec.stats_for(L1C)[2] == 'l1c' and spec.stats_for(DEFAULT_S2_BANDS)[2] == 'l2a'


def test_mpmae_without_contract_needs_stats_and_works_with_them(repo_root, tmp_path):
    with pytest.raises(ContractError, match='_band_stats.json'):
        init_model(repo_root / MPMAE)
    stats_file = next(make_fake_mmearth(tmp_path, num_samples=3, size=8).glob('*_stats.json'))
    model = init_model(repo_root / MPMAE, stats_file=stats_file)
    assert model.bands == DEFAULT_S2_BANDS
    out = embed(model, np.full((12, 16, 16), 1500.0, np.float32), bands=DEFAULT_S2_BANDS)
    assert np.isfinite(out['embedding']).all()


def test_dual_simclr_applies_its_training_value_rules(repo_root):
    model = init_model(repo_root / DUAL_SIMCLR, modality='s1',
                       cfg_options={'model.s1_backbone.depth': 18})
    raw = torch.tensor(np.random.default_rng(0).uniform(-40, 5, (1, 2, 8, 8)), dtype=torch.float32)
    clipped = raw.clamp(-25, 0) + 25
    expected = clipped / clipped.amax(dim=(2, 3), keepdim=True)
    torch.testing.assert_close(model.normalize(raw), expected)


def test_band_descriptions_reorder_and_undescribed_files_warn(repo_root, tmp_path, capsys):
    model = _tiny_pera(repo_root)
    pixels = np.random.default_rng(0).integers(500, 4000, (13, 32, 32)).astype(np.uint16)
    ordered = _write(tmp_path / 'ordered.tif', pixels, L1C)
    order = list(reversed(range(13)))
    shuffled = _write(tmp_path / 'shuffled.tif', pixels[order], [L1C[i] for i in order])
    np.testing.assert_allclose(embed(model, shuffled)['embedding'],
                               embed(model, ordered)['embedding'], rtol=1e-5)
    for handler in MMLogger.get_current_instance().handlers:  # this test's stdout
        if type(handler).__name__ == 'StreamHandler':
            handler.stream = __import__('sys').stdout
    embed(model, _write(tmp_path / 'bare.tif', pixels))
    assert 'its bands have no descriptions' in capsys.readouterr().out
    with pytest.raises(ValueError, match='pass --bands'):
        embed(model, _write(tmp_path / 'bare12.tif', pixels[:12]))


def test_l2a_scene_on_an_l1c_model_fills_b10_only_when_asked(repo_root, tmp_path):
    model = _tiny_pera(repo_root)
    pixels = np.random.default_rng(1).integers(500, 4000, (13, 32, 32)).astype(np.uint16)
    keep = [i for i, b in enumerate(L1C) if b != 'B10']
    l2a = _write(tmp_path / 'l2a.tif', pixels[keep], [L1C[i] for i in keep])
    with pytest.raises(ValueError, match='fill-missing-bands'):
        embed(model, l2a)
    blank = pixels.copy()
    blank[L1C.index('B10')] = 0  # nodata: B10 counts as the band mean
    with_nodata = _write(tmp_path / 'b10_nodata.tif', blank, L1C, nodata=0)
    np.testing.assert_allclose(embed(model, l2a, fill_missing=True)['embedding'],
                               embed(model, with_nodata)['embedding'], rtol=1e-5, atol=1e-6)


def test_the_config_a_run_saved_beside_its_checkpoint_is_preferred(repo_root, tmp_path):
    cfg = Config.fromfile(repo_root / PERA)
    cfg.merge_from_dict({'model.backbone.arch': TINY_VIT})
    torch.manual_seed(0)
    backbone = MODELS.build(cfg.model.backbone)
    run = tmp_path / 'work_dirs' / 'run'
    run.mkdir(parents=True)
    ckpt = run / 'epoch_1.pth'  # a checkpoint from before input contracts
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in backbone.state_dict().items()},
                'meta': {}}, ckpt)
    with pytest.raises(ValueError, match=r'work_dirs/<run>/<recipe>.py: use that one'):
        init_model(repo_root / PERA, ckpt)
    cfg.dump(run / 'pera_vits16_s2_200e_ssl4eo.py')
    model = init_model(repo_root / PERA, ckpt)
    assert torch.equal(model.feature_extractor.pos_embed, backbone.pos_embed)
