"""Every method's wavelength recipe trains on CPU (cpu-tiny preset, generated data)."""
import json
from pathlib import Path

import pytest

from eossl.checkpoints import safe_torch_load
from eossl.cli import train

pytestmark = pytest.mark.slow  # five end-to-end training runs, ~25 s of CPU together

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
# recipe → extra overrides that keep the run to a few seconds on 2 cores
RECIPES = {
    'softcon/softcon_vits14_s2_100e_ssl4eo_wavelength.py': [],
    'pera/pera_vits16_s2_200e_ssl4eo_wavelength.py': [],
    'pera/pera_vits16_s2-mix_200e_ssl4eo_wavelength.py': [],
    'dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms_wavelength.py': [
        'train_dataloader.dataset.pipeline.3.size=32',
        *[f'model.{m}_backbone.{k}={v}' for m in ('s1', 's2')
          for k, v in (('stem_channels', 16), ('base_channels', 8))],
        *[f'model.{m}_neck.{k}=64' for m in ('s1', 's2') for k in ('in_channels',
                                                                   'hid_channels')]],
    'mpmae/mpmae_convnextv2-atto_s2_200e_mmearth-112_wavelength.py': [],
}


@pytest.mark.parametrize('recipe', RECIPES, ids=lambda r: Path(r).stem)
def test_wavelength_recipe_trains_on_cpu(recipe, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the recipe's data root does not exist: generated data
    work = tmp_path / 'w'
    train.main([str(CONFIGS / recipe), '--preset', 'cpu-tiny', '--work-dir',
                             str(work), '--cfg-options', 'train_cfg.max_epochs=1',
                             *RECIPES[recipe]])
    scalars = next(work.glob('*/vis_data/scalars.json'))
    losses = [json.loads(line)['loss'] for line in scalars.read_text().splitlines()]
    assert losses and all(loss == loss and abs(loss) < float('inf') for loss in losses)
    state = safe_torch_load(work / 'epoch_1.pth')['state_dict']
    assert any('.generator.' in key for key in state)  # the stem is the wavelength one
