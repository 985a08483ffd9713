"""RepresentationMonitorHook: monitor values, logging, and collapse detection on real runs."""
import json

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from eossl.engine.hooks.representation_monitor_hook import RepresentationCollapseError
from eossl.models.utils.representation_stats import embedding_stats as _embed_stats
from eossl.models.utils.representation_stats import pair_stats as _pair_stats
from eossl.testing import make_structured_ssl4eo_s12
from tests.test_reliability.tiny_recipes import PERA, pera_options
from tests.test_tools.training_runs import REPO_ROOT


def test_monitor_values():
    torch.manual_seed(0)
    healthy = torch.randn(64, 32)
    stats = _embed_stats(healthy)
    assert 0.8 < stats['repr_std'] < 1.2 and stats['repr_rank'] > 20
    collapsed = _embed_stats(torch.ones(64, 32) + 1e-6 * torch.randn(64, 32))
    assert collapsed['repr_std'] < 0.01 and collapsed['repr_rank'] < 1.5
    pairs = _pair_stats(healthy, healthy + 0.1 * torch.randn(64, 32))
    assert pairs['repr_pos_sim'] > 0.9 and abs(pairs['repr_neg_sim']) < 0.1
    assert pairs['repr_sim_gap'] > 0.8
    assert abs(_pair_stats(healthy, torch.randn(64, 32))['repr_sim_gap']) < 0.1


def _pera_run(tmp_path, teacher_temp: float | None, action: str) -> Runner:
    """Three tiny PerA epochs (16 structured scenes, batch 4) observed every 2 iterations."""
    data = tmp_path / 'data'
    make_structured_ssl4eo_s12(data, num_train=16, num_test=1, size=48, modalities=('s2c',))
    cfg = Config.fromfile(REPO_ROOT / PERA)
    options = {**pera_options(data), 'train_dataloader.batch_size': 4,
               'default_hooks.checkpoint.interval': 100,
               'default_hooks.representation_monitor': dict(
                   type='RepresentationMonitorHook', interval=2, warmup_iters=4, action=action)}
    if teacher_temp is not None:  # the teacher temperature schedule sets it every iteration
        options.update({'custom_hooks.1.start': teacher_temp, 'custom_hooks.1.end': teacher_temp})
    cfg.merge_from_dict(options)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def _monitor(runner: Runner):
    return next(h for h in runner.hooks if type(h).__name__ == 'RepresentationMonitorHook')


def test_healthy_pera_run_logs_monitors_and_does_not_trip(tmp_path):
    runner = _pera_run(tmp_path, None, action='stop')  # would raise on a collapse verdict
    history = _monitor(runner).history
    assert [h['iter'] for h in history] == list(range(2, 25, 2))[:len(history)]
    assert all(h['teacher_entropy'] < 0.98 and h['repr_rank'] > 1.5 for h in history)
    scalars = [json.loads(line) for line in
               next((tmp_path / 'work').glob('*/vis_data/scalars.json')).read_text().splitlines()]
    logged = [r for r in scalars if 'teacher_entropy' in r]
    assert logged and {'repr_std', 'repr_rank', 'student_teacher_kl'} <= set(logged[0])


def test_too_hot_teacher_trips_the_collapse_check(tmp_path):
    # τ_t = 100: every teacher distribution is uniform, the student learns nothing
    with pytest.raises(RepresentationCollapseError, match='teacher_entropy'):
        _pera_run(tmp_path, 100.0, action='stop')
