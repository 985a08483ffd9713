"""``--preset cpu-tiny`` on every pretraining recipe: tiny models of distinct sizes, a sane
MP-MAE lr, a short scene epoch, and generated data written once even by two ranks at once."""
import json
import multiprocessing
from pathlib import Path

import pytest
from mmengine.config import Config

from eossl.cli import train
from eossl.engine.preset_data import generated_data_root
from eossl.engine.presets import TINY_VIT_WIDTH, apply_preset
from eossl.registry import MODELS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
PRETRAINING = sorted(p for p in CONFIGS.rglob('*.py')
                     if not {'_base_', 'benchmarks'} & set(p.relative_to(CONFIGS).parts))


@pytest.mark.parametrize('recipe', PRETRAINING, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_pretraining_recipe_has_a_tiny_preset(recipe, tmp_path):
    cfg = Config.fromfile(str(recipe))
    cfg.work_dir = str(tmp_path)
    cfg.train_dataloader.dataset.data_root = str(tmp_path)  # exists: nothing is generated
    arch = cfg.model.get('backbone', {}).get('arch')
    apply_preset(cfg, 'cpu-tiny')
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) < 25_000_000  # two ResNet-18s at most
    if cfg.model.get('backbone', {}).get('type') == 'EOVisionTransformer':
        # ViT-S and ViT-B recipes stay two models (they were the same tiny ViT)
        assert model.backbone.embed_dims == TINY_VIT_WIDTH[arch]
    if cfg.model.type == 'MPMAE':  # the batch rule and 40 warm-up epochs gave lr ~3e-8
        assert not cfg.auto_scale_lr.enable and cfg.param_scheduler == []
    if cfg.train_dataloader.dataset.type == 'SceneWindows':  # was 100,000 (1 h 38 min)
        assert cfg.train_dataloader.dataset.windows_per_epoch == 4


@pytest.mark.parametrize('recipe, lr', [('softcon/softcon_vits14_s2_100e_ssl4eo.py', None),
                                        ('mpmae/mpmae_convnextv2-atto_s2_200e_mmearth-56.py',
                                         1.5e-4)])
def test_preset_trains_on_generated_data(recipe, lr, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train.main([f'eossl::{recipe}', '--preset', 'cpu-tiny', '--work-dir', 'w',
                '--cfg-options', 'train_cfg.max_epochs=1'])
    assert (tmp_path / 'w' / 'epoch_1.pth').is_file()
    logged = [json.loads(line) for line in
              next((tmp_path / 'w').glob('*/vis_data/scalars.json')).read_text().splitlines()]
    assert logged and all(entry['loss'] == entry['loss'] for entry in logged)
    if lr is not None:
        assert [entry['lr'] for entry in logged] == [pytest.approx(lr)] * len(logged)


def _generate(folder: str, barrier, results) -> None:
    barrier.wait()  # both ranks start writing at once
    results.put(generated_data_root(folder, dict(type='eossl.SEN12MS')))


def test_generated_data_is_written_once_even_by_two_ranks_at_once(tmp_path):
    folder = tmp_path / 'work' / 'generated_data'
    context = multiprocessing.get_context('fork')
    barrier, results = context.Barrier(2), context.Queue()
    ranks = [context.Process(target=_generate, args=(str(folder), barrier, results))
             for _ in range(2)]
    for rank in ranks:
        rank.start()
    for rank in ranks:
        rank.join(60)
    assert [rank.exitcode for rank in ranks] == [0, 0]
    assert {results.get(timeout=5), results.get(timeout=5)} == {str(folder)}
    assert [p.name for p in folder.parent.iterdir()] == ['generated_data']  # no staging left
    files = sorted(folder.rglob('*.tif'))
    assert len(files) == 8  # 4 patches x (s1, s2)
    stamps = [f.stat().st_mtime_ns for f in files]
    assert generated_data_root(folder, dict(type='SEN12MS')) == str(folder)  # reused, not redone
    assert [f.stat().st_mtime_ns for f in files] == stamps


def test_no_generated_data_for_an_unknown_dataset_type(tmp_path):
    with pytest.raises(KeyError, match="no generated data for dataset type 'Mine'.*SSL4EOS12"):
        generated_data_root(tmp_path / 'g', dict(type='Mine'))
