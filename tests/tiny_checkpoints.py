"""Tiny eossl recipes, checkpoints and official-layout state dicts for offline tests (tests/ and,
loaded by file path, tests_toolkits/: nothing here ships in the wheel).

- :func:`write_tiny_vit_recipe` / :func:`write_tiny_vit_checkpoint`: a 2-block, 32-wide
  EOVisionTransformer pretraining recipe and a checkpoint of it in eossl's layout
  (``backbone.*`` keys, the input contract in ``meta``);
- :func:`official_softcon_vit_state`: random tensors under the official SoftCon / DINOv2 key
  names (``blocks.{i}.attn.qkv.weight``, ``ls1.gamma``, optionally DINOv2's chunked
  ``blocks.{chunk}.{i}``), written without any eossl module;
- :func:`populate_hub_cache`: a file placed in a Hugging Face hub cache the way
  ``hf_hub_download`` leaves it (``models--OWNER--NAME/{refs/main, snapshots/<rev>/FILE}``), so
  offline resolution (``HF_HUB_OFFLINE=1``) finds it.
"""
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import torch

S2_L1C = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12')
TINY_VIT_ARCH = dict(embed_dims=32, num_layers=2, num_heads=2, mlp_ratio=2.0)
_RECIPE = '''\
default_scope = 'eossl'
bands = {bands!r}
model = dict(
    type='SoftCon', num_classes=9,
    data_preprocessor=dict(type='EODataPreprocessor', stats='ssl4eo_s12:s2_l1c', bands=bands),
    backbone=dict(type='EOVisionTransformer', arch={arch!r}, bands=bands, img_size={size},
                  patch_size={patch}, out_type='cls_token'),
)
'''


def write_tiny_vit_recipe(folder: str | Path, bands: Sequence[str] = S2_L1C, img_size: int = 28,
                          patch_size: int = 14, arch: str | dict = TINY_VIT_ARCH) -> Path:
    """Write ``tiny_vit_recipe.py`` (a SoftCon-type recipe with a ViT, by default a 2-block
    32-wide one; ``arch='small'`` for a ViT-S) into ``folder``."""
    path = Path(folder) / 'tiny_vit_recipe.py'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_RECIPE.format(bands=tuple(bands), arch=arch, size=img_size,
                                   patch=patch_size))
    return path


def write_tiny_vit_checkpoint(recipe: str | Path, out: str | Path, seed: int = 0) -> Path:
    """A random-weight checkpoint of ``recipe``'s backbone in eossl's layout, written to ``out``."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from eossl.registry import MODELS
    cfg = Config.fromfile(str(recipe))
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('eossl'):
        backbone = MODELS.build(cfg.model.backbone)
    state = OrderedDict((f'backbone.{k}', v.clone()) for k, v in backbone.state_dict().items())
    for key, value in state.items():  # LayerNorm / LayerScale inits are constant: vary them
        if value.is_floating_point():
            state[key] = value + 0.01 * torch.randn_like(value)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({'state_dict': state, 'meta': {'input_size': cfg.model.backbone.img_size}}, out)
    return out


def official_softcon_vit_state(in_chans: int, embed_dim: int = 384, depth: int = 12,
                               img_size: int = 224, patch_size: int = 14, mlp_ratio: float = 4.0,
                               chunks: int = 0, seed: int = 0) -> OrderedDict:
    """Random tensors under the official SoftCon ViT (DINOv2 ``vision_transformer``) names.

    ``chunks > 0`` stores the blocks as DINOv2's ``BlockChunk`` layout
    (``blocks.{chunk}.{i}.*`` with ``i`` counting globally).
    """
    gen = torch.Generator().manual_seed(seed)
    hidden, tokens = int(embed_dim * mlp_ratio), 1 + (img_size // patch_size) ** 2

    def rand(*shape: int) -> torch.Tensor:
        return 0.02 * torch.randn(*shape, generator=gen)

    state = OrderedDict(cls_token=rand(1, 1, embed_dim), pos_embed=rand(1, tokens, embed_dim),
                        mask_token=rand(1, embed_dim))
    state['patch_embed.proj.weight'] = rand(embed_dim, in_chans, patch_size, patch_size)
    state['patch_embed.proj.bias'] = rand(embed_dim)
    per_chunk = depth // chunks if chunks else depth
    for i in range(depth):
        prefix = f'blocks.{i // per_chunk}.{i}.' if chunks else f'blocks.{i}.'
        for name, shape in (('norm1', (embed_dim, )), ('norm2', (embed_dim, ))):
            state[f'{prefix}{name}.weight'] = 1 + rand(*shape)
            state[f'{prefix}{name}.bias'] = rand(*shape)
        for name, (out_dim, in_dim) in (('attn.qkv', (3 * embed_dim, embed_dim)),
                                        ('attn.proj', (embed_dim, embed_dim)),
                                        ('mlp.fc1', (hidden, embed_dim)),
                                        ('mlp.fc2', (embed_dim, hidden))):
            state[f'{prefix}{name}.weight'] = rand(out_dim, in_dim)
            state[f'{prefix}{name}.bias'] = rand(out_dim)
        state[f'{prefix}ls1.gamma'] = rand(embed_dim)
        state[f'{prefix}ls2.gamma'] = rand(embed_dim)
    state['norm.weight'] = 1 + rand(embed_dim)
    state['norm.bias'] = rand(embed_dim)
    return state


def populate_hub_cache(cache_dir: str | Path, repo_id: str, filename: str,
                       state: dict, revision: str = 'a' * 40) -> Path:
    """Save ``state`` as ``filename`` of model repo ``repo_id`` in a hub cache; returns the file."""
    repo = Path(cache_dir) / f'models--{repo_id.replace("/", "--")}'
    target = repo / 'snapshots' / revision / filename
    target.parent.mkdir(parents=True, exist_ok=True)
    (repo / 'refs').mkdir(parents=True, exist_ok=True)
    (repo / 'refs' / 'main').write_text(revision)
    torch.save(state, target)
    return target
