"""Each rank draws its own masks (seed + rank) while all ranks keep one shuffled sample order."""
from pathlib import Path

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.dataset import DefaultSampler
from mmengine.runner import set_random_seed

from eossl.models.selfsup.siamese_masking import random_keep_indices
from tests.gloo import run_on_ranks

REPO = Path(__file__).resolve().parents[2]
PRETRAINING = sorted(p for d in ('pera', 'softcon', 'mpmae', 'dual_simclr')
                     for p in (REPO / 'configs' / d).glob('*.py'))


def _gathered(x: torch.Tensor, world: int) -> list[torch.Tensor]:
    parts = [torch.empty_like(x) for _ in range(world)]
    dist.all_gather(parts, x)
    return parts


def _draws(rank: int, world: int, recipe: str) -> None:
    randomness = Config.fromfile(recipe).randomness
    # what mmengine's Runner.set_randomness does with the recipe's randomness
    set_random_seed(seed=randomness.seed, deterministic=randomness.deterministic,
                    diff_rank_seed=randomness.get('diff_rank_seed', False))
    siamese = random_keep_indices(4, 49, 0.5)  # SoftCon's Siamese masks
    mpmae = torch.randn(4, 49).argsort(1).argsort(1)  # MP-MAE's mask draw
    drop_path = torch.rand(4)  # a drop-path subset
    for name, draw in (('siamese', siamese), ('mpmae', mpmae), ('drop_path', drop_path)):
        first, second = _gathered(draw, world)
        assert not torch.equal(first, second), f'{recipe}: both ranks drew the same {name}'
    # the sampler's shuffle stays shared, so the ranks still split one permutation
    indices = torch.tensor(list(DefaultSampler(list(range(8)), shuffle=True, seed=None)))
    first, second = _gathered(indices, world)
    assert sorted(torch.cat([first, second]).tolist()) == list(range(8))


def test_every_pretraining_recipe_seeds_each_rank_differently():
    assert PRETRAINING
    missing = [p.name for p in PRETRAINING
               if not Config.fromfile(str(p)).randomness.get('diff_rank_seed')]
    assert not missing, f'recipes seeding every rank alike: {missing}'


def test_two_gloo_ranks_draw_different_masks_of_one_sample_order():
    run_on_ranks(_draws, 2, str(REPO / 'configs' / 'pera' / 'pera_vits16_s2_200e_ssl4eo.py'))
