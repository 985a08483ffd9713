"""``eossl-train RECIPE --amp`` on a CPU, every method: bf16 autocast where the CPU has bf16
instructions (AVX512-BF16 / AMX), fp32 with a warning saying so where it has not."""
import json

import pytest
from mmengine.config import Config

from eossl.cli import train
from eossl.engine.precision import cpu_bf16_instructions

TINY_VIT = 'dict(embed_dims=32, num_layers=2, num_heads=2, _delete_=True)'
RUNS = {
    'PerA': ('configs/pera_vits.py', ['--preset', 'cpu-tiny']),
    'MP-MAE': ('configs/mpmae/mpmae_convnextv2-atto_s2_200e_mmearth-56.py',
               ['--preset', 'cpu-tiny']),
    'Dual-SimCLR': ('configs/dual_simclr/dual_simclr_rn50_s1s2_200e_sen12ms.py',
                    ['--preset', 'cpu-tiny', '--cfg-options',
                     'train_dataloader.dataset.pipeline.3.size=32']),
    'SoftCon': ('configs/softcon/softcon_vits14_s2_demo_bigearthnet.py',
                ['--cfg-options', f'model.backbone.arch={TINY_VIT}', 'model.backbone.img_size=112',
                 'model.neck.in_channels=32', 'train_dataloader.batch_size=3',
                 'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
                 'default_hooks.logger.interval=1']),
}


@pytest.mark.slow
@pytest.mark.parametrize('method', RUNS)
def test_amp_trains_every_method_on_this_cpu(method, repo_root, tmp_path, monkeypatch,
                                             bigearthnet_example, caplog):
    recipe, options = RUNS[method]
    monkeypatch.chdir(tmp_path)  # generated data for the presets
    options = [*options, 'train_cfg.max_epochs=1'] if '--cfg-options' in options else \
        [*options, '--cfg-options', 'train_cfg.max_epochs=1']
    if method == 'SoftCon':
        options.append(f'train_dataloader.dataset.data_root={bigearthnet_example}')
    work = tmp_path / 'work'
    train.main([str(repo_root / recipe), '--amp', '--work-dir', str(work), *options])
    dumped = Config.fromfile(next(work.glob('*.py')))
    scalars = next(work.glob('*/vis_data/scalars.json')).read_text().splitlines()
    losses = [json.loads(line)['loss'] for line in scalars if 'loss' in line]
    assert losses and all(loss == loss for loss in losses)  # finite, not NaN
    if cpu_bf16_instructions():
        assert dumped.optim_wrapper.type == 'EOOptimWrapper'
        assert dumped.optim_wrapper.dtype == 'bfloat16'
    else:
        assert 'no bf16 matrix instructions' in caplog.text
        assert dumped.optim_wrapper.get('dtype') is None
