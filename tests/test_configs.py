"""Every recipe parses, inherits at most two ``_base_`` levels, and names registered types."""
import ast
import importlib
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

CONFIGS = Path(__file__).resolve().parents[1] / 'configs'
RECIPES = sorted(p for p in CONFIGS.rglob('*.py') if '_base_' not in p.parts)
# pretraining recipes run in eossl's scope, downstream ones in mmpretrain's or mmseg's
SCOPES = {'eossl': 'eossl.registry', 'mmpretrain': 'mmpretrain.registry',
          'mmseg': 'mmseg.registry'}


def registries(scope: str) -> list:
    """Every registry of the package that owns ``scope``."""
    module = importlib.import_module(SCOPES[scope])
    return [getattr(module, name) for name in module.__all__]


def base_depth(path: Path) -> int:
    """How many ``_base_`` levels stand above ``path``."""
    tree = ast.parse(path.read_text())
    bases: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', '') == '_base_':
            value = ast.literal_eval(node.value)
            bases = [value] if isinstance(value, str) else list(value)
    return max((1 + base_depth((path.parent / b).resolve()) for b in bases), default=0)


def registered_types(node) -> list[str]:
    """All ``type=`` strings in a config tree."""
    if isinstance(node, dict):
        found = [node['type']] if isinstance(node.get('type'), str) else []
        return found + [t for value in node.values() for t in registered_types(value)]
    if isinstance(node, (list, tuple)):
        return [t for value in node for t in registered_types(value)]
    return []


@pytest.mark.parametrize('recipe', RECIPES, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_recipe_parses_and_resolves(recipe: Path):
    cfg = Config.fromfile(str(recipe))
    assert cfg.default_scope in SCOPES
    assert base_depth(recipe) <= 2, f'{recipe}: _base_ deeper than two levels'
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        known = registries(cfg.default_scope)
        for section in ('model', 'train_dataloader', 'custom_hooks', 'optim_wrapper',
                        'param_scheduler'):
            for name in registered_types(cfg.get(section)):
                assert any(reg.get(name) is not None for reg in known), \
                    f'{recipe}: type "{name}" in {section} is not registered'
