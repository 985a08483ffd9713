"""Done-when of the input contract: each method pretrains a cpu-tiny run, then its checkpoint
embeds a generated scene through ``eossl-predict-scene --embed``, ``eossl.apis.embed`` and the
kNN probe with nothing but the recipe, the checkpoint and the data; MP-MAE's features equal those
of its training pipeline on the same pixels."""
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

from eossl.apis import ContractError, embed, init_model, read_contract
from eossl.apis.inference import backbone_features
from eossl.cli import console, extract_backbone, knn_probe, train
from eossl.datasets.bands import band_names
from eossl.testing import make_fake_eurosat, make_fake_ssl4eo_s12
from eossl.testing.scenes import make_fake_scene

REPO = Path(__file__).resolve().parents[2]
EUROSAT = REPO / 'configs/benchmarks/classification/rn50_linear_eurosat.py'
RECIPES = {
    'PerA': 'configs/pera/pera_vits16_s2_200e_ssl4eo.py',
    'DualSimCLR': 'configs/dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms.py',
    'MPMAE': 'configs/mpmae/mpmae_convnextv2-atto_s2_200e_mmearth-56.py',
}
SOFTCON_TINY = '''_base_ = [{base!r}]
S2_BANDS = {bands!r}
view_pipeline = [dict(type='EORandomResizedCrop', size=32, scale=(0.2, 1.0)),
                 dict(type='EORandomFlip', prob=0.5, direction=('horizontal', 'vertical'))]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, pin_memory=False,
    dataset=dict(data_root={root!r}, labels_file={labels!r}, pipeline=[
        dict(type='LoadMultiBandImage', modality='s2', bands=S2_BANDS, target_size=48, nodata=0),
        dict(type='mmpretrain.MultiView', num_views=2, transforms=[view_pipeline]),
        dict(type='PackEOInputs', keys=('img', ), meta_keys=('sample_id', 'season'))]))
model = dict(backbone=dict(arch=dict(_delete_=True, embed_dims=32, num_layers=2, num_heads=2),
                           img_size=32, patch_size=8, init_cfg=None),
             neck=dict(in_channels=32, hid_channels=64, out_channels=16,
                       norm_cfg=dict(type='BN1d')))
train_cfg = dict(max_epochs=2)
default_hooks = dict(checkpoint=dict(interval=1), logger=dict(interval=1))
'''


def _softcon_recipe(root: Path) -> str:
    """SoftCon has no cpu-tiny preset: the same sizes as PerA's preset, in a user recipe."""
    fake = make_fake_ssl4eo_s12(root / 'ssl4eo', num_locations=4, seasons=2, size=48,
                                modalities=('s2c', ), label_source=lambda i, s: [i % 9])
    recipe = root / 'softcon_tiny.py'
    recipe.write_text(SOFTCON_TINY.format(
        base=str(REPO / 'configs/softcon/softcon_vits14_s2_100e_ssl4eo.py'),
        root=str(root / 'ssl4eo'), labels=str(fake['labels_file']), bands=band_names('s2_l1c')))
    return str(recipe)


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> dict[str, Path]:
    """A 13-band L1C scene with band descriptions and a fake EuroSAT recipe for the probe."""
    root = tmp_path_factory.mktemp('contract')
    scene = make_fake_scene(root / 'scene.tif', 64, 64, nodata_fraction=0.1)
    make_fake_eurosat(root / 'eurosat', samples_per_class=1, size=32)
    probe = root / 'eurosat_probe.py'
    probe.write_text(f'_base_ = [{str(EUROSAT)!r}]\n' + ''.join(
        f"{split}_dataloader = dict(num_workers=0, persistent_workers=False, "
        f"dataset=dict(data_root={str(root / 'eurosat')!r}, split_file=None))\n"
        for split in ('train', 'val')))
    return {'root': root, 'scene': scene, 'probe': probe}


@pytest.fixture(scope='module')
def trained(tmp_path_factory) -> dict[str, tuple[str, Path]]:
    """``{method: (recipe, checkpoint)}`` of a 2-epoch cpu-tiny run each."""
    root = tmp_path_factory.mktemp('runs')
    runs = {}
    for method, recipe in [('SoftCon', _softcon_recipe(root)),
                           *((m, str(REPO / r)) for m, r in RECIPES.items())]:
        preset = [] if method == 'SoftCon' else ['--preset', 'cpu-tiny']
        train.main([recipe, *preset, '--work-dir', str(root / method)])
        runs[method] = (recipe, root / method / 'epoch_2.pth')
    return runs


@pytest.mark.slow
@pytest.mark.parametrize('method', ['SoftCon', 'PerA', 'DualSimCLR', 'MPMAE'])
def test_checkpoint_embeds_a_scene_through_every_path(method, trained, data, monkeypatch):
    recipe, checkpoint = trained[method]
    contract = read_contract(checkpoint)
    assert contract is not None and contract.method == method
    out = data['root'] / f'{method}_features.tif'
    monkeypatch.setattr(sys, 'argv', ['eossl-predict-scene', recipe, str(checkpoint),
                                      str(data['scene']), str(out), '--embed'])
    assert console.predict_scene() == 0
    with rasterio.open(out) as src:
        features = src.read()
    assert np.isfinite(features).any() and np.nanstd(features) > 0

    model = init_model(recipe, checkpoint)
    vector = embed(model, data['scene'])['embedding']
    assert vector.ndim == 1 and np.isfinite(vector).all() and vector.std() > 0
    if method == 'DualSimCLR':
        assert model.encoder == 's2', 'an S2 scene picks the S2 backbone by its band names'
    # an extracted backbone file keeps its encoder's contract: it applies alone
    backbone_file = data['root'] / f'{method}_backbone.pth'
    extract_backbone.main([str(checkpoint), str(backbone_file),
                           *(['--modality', 's2'] if method == 'DualSimCLR' else [])])
    alone = embed(init_model(None, backbone_file), data['scene'])['embedding']
    np.testing.assert_allclose(alone, vector, rtol=1e-5, atol=1e-6)

    metrics = knn_probe.main([str(data['probe']), '--checkpoint', str(checkpoint), '--k', '3'])
    assert 0 <= metrics['accuracy'] <= 100 and metrics['train_samples'] == 10


@pytest.mark.slow
def test_mpmae_scene_features_equal_its_training_pipeline(trained, tmp_path):
    recipe, checkpoint = trained['MPMAE']
    cfg = Config.fromfile(checkpoint.parent / Path(recipe).name)  # as the run saved it
    spec = read_contract(checkpoint).encoders['backbone']
    assert spec.stats_source.endswith('_band_stats.json') and set(spec.product_stats) == \
        {'l1c', 'l2a'}
    model = init_model(recipe, checkpoint)
    with DefaultScope.overwrite_default_scope('eossl'):
        dataset_cfg = dict(cfg.train_dataloader.dataset, pipeline=[cfg.train_pipeline[0]])
        from mmengine.registry import DATASETS
        dataset = DATASETS.build(dataset_cfg)
        preprocessor = MODELS.build(cfg.model.data_preprocessor)
    import h5py
    with h5py.File(dataset.h5_path) as h5:
        stored = h5['sentinel2'][()]
    products = set()
    for i in range(len(dataset)):
        sample = dataset[i]  # LoadMMEarthSample: the training pipeline's z-score
        trained_input = preprocessor({'inputs': [torch.from_numpy(sample['sentinel2'])]},
                                     False)['inputs']
        with torch.no_grad():
            expected, _ = backbone_features(model, trained_input)
        # the same raw pixels as a GeoTIFF: L1C keeps B10, L2A products have none
        from eossl.datasets.mmearth_layout import S2_STORED_BANDS
        keep = [k for k, b in enumerate(S2_STORED_BANDS)
                if b != 'B10' or sample['s2_type'] == 'l1c']
        raw = stored[sample['h5_index']][keep]
        path = tmp_path / f'sample_{i}.tif'
        with rasterio.open(path, 'w', driver='GTiff', height=raw.shape[1], width=raw.shape[2],
                           count=len(keep), dtype=raw.dtype, nodata=0) as dst:
            dst.write(raw)
            for k, b in enumerate(keep, start=1):
                dst.set_band_description(k, S2_STORED_BANDS[b])
        got = embed(model, path)['embedding']
        assert model.product == sample['s2_type']
        np.testing.assert_allclose(got, expected[0].numpy(), rtol=1e-4, atol=1e-5)
        products.add(sample['s2_type'])
    assert products == {'l1c', 'l2a'}, 'both S2 products are compared'

    # the same checkpoint from before contracts: refused without --stats, equal with the file
    old = checkpoint.parent / 'pre_contract.pth'
    ckpt = torch.load(checkpoint, map_location='cpu', weights_only=False)
    del ckpt['meta']['input_contract']
    torch.save(ckpt, old)
    with pytest.raises(ContractError, match='pass --stats FILE'):
        init_model(recipe, old)
    stats = next(Path(dataset.data_root).glob('*_band_stats.json'))
    np.testing.assert_allclose(embed(init_model(recipe, old, stats_file=stats), path)['embedding'],
                               got, rtol=1e-5, atol=1e-6)
