"""Every pretraining recipe gets the reliability hooks and the data-loading fast paths.

A recipe that restates ``checkpoint=dict(type='CheckpointHook', ...)`` would silently lose
atomic checkpoints and exact resume, so this is checked over all of them, including recipes
added later.
"""
import pytest
from mmengine.config import Config

from ..test_tools.training_runs import REPO_ROOT

RECIPES = sorted([*REPO_ROOT.glob('configs/*.py'),
                  *(p for method in ('dual_simclr', 'mpmae', 'pera', 'softcon')
                    for p in REPO_ROOT.glob(f'configs/{method}/*.py'))])


@pytest.mark.parametrize('recipe', RECIPES, ids=lambda p: p.stem)
def test_recipe_has_reliability_hooks_and_loader_fast_paths(recipe):
    cfg = Config.fromfile(recipe)
    hooks = cfg.default_hooks
    assert hooks.checkpoint.type == 'ResumableCheckpointHook'
    assert hooks.non_finite_loss.type == 'NonFiniteLossHook'
    assert hooks.checkpoint_layout.type == 'CheckpointLayoutHook'
    loader = cfg.train_dataloader
    if loader.get('num_workers', 0) > 0:  # worker start-up once, page-locked host batches
        assert loader.get('persistent_workers') and loader.get('pin_memory'), recipe.name
