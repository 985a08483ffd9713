"""Channel-adaptive DINOv2-style Vision Transformer with a real sparse (token-dropping) path."""
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn
from torch.nn.init import trunc_normal_
from torch.utils.checkpoint import checkpoint

from eossl.datasets.bands import resolve_bands
from eossl.models.utils.separable_resize import interpolate_by_matrices
from eossl.registry import MODELS

from .vit_blocks import Block, PatchEmbed
from .wavelength_stem import WavelengthPatchEmbed

ARCH_PRESETS: dict[str, dict] = {
    'small': dict(embed_dims=384, num_layers=12, num_heads=6, mlp_ratio=4.0),
    'base': dict(embed_dims=768, num_layers=12, num_heads=12, mlp_ratio=4.0),
    'large': dict(embed_dims=1024, num_layers=24, num_heads=16, mlp_ratio=4.0),
    # DINOv2's ViT-g uses a SwiGLU MLP; this preset keeps the plain GELU MLP.
    'giant': dict(embed_dims=1536, num_layers=40, num_heads=24, mlp_ratio=4.0),
}
OUT_TYPES = ('cls_token', 'featmap', 'avg_featmap', 'raw')
PATCH_EMBEDS = ('fixed', 'wavelength')


@MODELS.register_module()
class EOVisionTransformer(BaseModule):
    """ViT for any number of bands, named like DINOv2 so its checkpoints load unchanged.

    Token layout: ``[CLS, registers (R), patches (N)]``; ``pos_embed`` (1, 1 + N0, D) covers CLS
    and the ``img_size / patch_size`` grid and is interpolated for other input sizes.

    Dense path: :meth:`forward` ``(B, C, H, W)`` → tuple (one entry per ``out_indices``) of
    ``cls_token`` (B, D), ``featmap`` (B, D, H/p, W/p), ``avg_featmap`` (B, D) or ``raw``
    (B, 1 + R + N, D); the final norm is applied to every returned layer (as DINOv2 does).

    Sparse path (only kept tokens enter the blocks, so cost scales with what is kept):
    :meth:`embed` adds the position embedding to all tokens, :meth:`select_tokens` gathers
    CLS + the visible patches, :meth:`mask_tokens` builds learnable mask tokens with the position
    embedding of hidden patches, and :meth:`encode` runs the blocks, appending the mask tokens
    before block ``insert_at``.

    Args:
        arch: 'small', 'base', 'large', 'giant' or a dict with ``embed_dims``, ``num_layers``,
            ``num_heads``, ``mlp_ratio``.
        in_channels: number of input bands. May be omitted when ``bands`` is given.
        bands: band names (or a band-set name such as ``'s2_l1c'``, resolved to them),
            documenting which bands (in order) the first layer expects; with
            ``patch_embed='wavelength'`` the default bands of the stem.
        patch_embed: ``'fixed'`` (official: one strided ``Conv2d`` over ``in_channels`` bands,
            DINOv2's ``patch_embed.proj``) or ``'wavelength'`` (eossl option:
            :class:`~.wavelength_stem.WavelengthPatchEmbed`, kernels generated per band from its
            wavelength, so any set and order of known bands embeds with the same parameters;
            needs ``bands``; a batch naming other bands switches it, see
            :mod:`eossl.models.utils.band_routing`).
        wavelength_cfg: options of the wavelength stem (``band_key``, ``hidden_dims``,
            ``num_frequencies``, ``reduction``, ``extra_bands``).
        img_size: pretraining image size; defines the stored position-embedding grid.
        patch_size: patch side p in pixels.
        qkv_bias: bias in the attention qkv projection.
        layer_scale_init_value: LayerScale init (DINOv2: 1e-5); ``None`` or 0 disables it.
        num_register_tokens: learnable register tokens R (0 = none).
        drop_rate / attn_drop_rate: dropout after projections / on attention weights.
        drop_path_rate: stochastic depth of the last block.
        drop_path_uniform: every block uses ``drop_path_rate`` (PerA's student) instead of a
            linear ramp from 0.
        drop_path_mode: ``'subset'`` (official DINOv2 / PerA batch-subset stochastic depth) or
            ``'mask'`` (per-sample Bernoulli); see :class:`~.vit_blocks.Block`.
        out_type: what :meth:`forward` returns per layer, one of ``OUT_TYPES``.
        out_indices: block indices (negative from the end) whose outputs :meth:`forward` returns.
        final_norm: apply the final LayerNorm ``norm`` to returned tokens.
        interpolate_mode: mode of ``F.interpolate`` for the position-embedding grid.
        interpolate_offset: DINOv2 / PerA resample the stored grid by the scale factor
            ``(h + offset) / side`` (official default 0.1); ``None`` (eossl option) resamples to
            the exact output size instead. Both give an (h, w) grid; the values differ slightly.
        fused_attention: attention through ``F.scaled_dot_product_attention`` (flash /
            memory-efficient kernels); False selects the explicit-matmul reference path (same
            numbers, more memory) for benchmarks.
        with_cp: activation checkpointing: in training, each block's activations are recomputed
            in the backward pass instead of stored (same outputs and gradients, less memory,
            about one more forward of compute); for ViT-L/G pretraining.
    """

    def __init__(self, arch: str | dict = 'base', in_channels: int | None = None,
                 bands: Sequence[str] | None = None, img_size: int = 224, patch_size: int = 16,
                 patch_embed: str = 'fixed', wavelength_cfg: dict | None = None,
                 qkv_bias: bool = True, layer_scale_init_value: float | None = 1e-5,
                 num_register_tokens: int = 0, drop_rate: float = 0.0,
                 attn_drop_rate: float = 0.0, drop_path_rate: float = 0.0,
                 drop_path_uniform: bool = False, drop_path_mode: str = 'subset',
                 out_type: str = 'cls_token',
                 out_indices: int | Sequence[int] = -1, final_norm: bool = True,
                 interpolate_mode: str = 'bicubic', interpolate_offset: float | None = 0.1,
                 with_cp: bool = False,
                 fused_attention: bool = True, init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        cfg = self._arch_settings(arch)
        self.bands = bands = resolve_bands(bands)
        self.in_channels = self._resolve_channels(in_channels, self.bands)
        if img_size % patch_size:
            raise ValueError(f'EOVisionTransformer: img_size {img_size} is not a multiple of '
                             f'patch_size {patch_size}')
        if out_type not in OUT_TYPES:
            raise ValueError(f'EOVisionTransformer: out_type "{out_type}" not in {OUT_TYPES}')
        if patch_embed not in PATCH_EMBEDS or (patch_embed == 'wavelength' and bands is None):
            raise ValueError(f'EOVisionTransformer: patch_embed must be one of {PATCH_EMBEDS} '
                             f"('wavelength' needs bands), got {patch_embed!r}, bands={bands!r}")
        self.embed_dims, self.num_layers = cfg['embed_dims'], cfg['num_layers']
        self.patch_size, self.img_size = patch_size, img_size
        self.num_register_tokens = num_register_tokens
        self.out_type, self.final_norm = out_type, final_norm
        self.interpolate_mode, self.interpolate_offset = interpolate_mode, interpolate_offset
        self.with_cp = with_cp
        indices = [out_indices] if isinstance(out_indices, int) else list(out_indices)
        self.out_indices = sorted(i % self.num_layers for i in indices)

        dim, grid = self.embed_dims, img_size // patch_size
        self.patch_embed = (
            PatchEmbed(self.in_channels, dim, patch_size) if patch_embed == 'fixed' else
            WavelengthPatchEmbed(dim, patch_size, self.bands, **(wavelength_cfg or {})))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + grid * grid, dim))
        self.mask_token = nn.Parameter(torch.zeros(1, dim))
        self.register_tokens = (nn.Parameter(torch.zeros(1, num_register_tokens, dim))
                                if num_register_tokens else None)
        rates = ([drop_path_rate] * self.num_layers if drop_path_uniform else
                 torch.linspace(0, drop_path_rate, self.num_layers).tolist())
        self.blocks = nn.ModuleList(
            Block(dim, cfg['num_heads'], cfg['mlp_ratio'], qkv_bias, layer_scale_init_value,
                  rate, drop_rate, attn_drop_rate, fused_attn=fused_attention,
                  drop_path_mode=drop_path_mode) for rate in rates)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self._init_parameters()

    @staticmethod
    def _arch_settings(arch: str | dict) -> dict:
        """The preset dict of ``arch`` or the validated custom dict."""
        if isinstance(arch, str):
            if arch not in ARCH_PRESETS:
                raise ValueError(f'EOVisionTransformer: arch "{arch}" not in '
                                 f'{sorted(ARCH_PRESETS)} (or pass a dict)')
            return ARCH_PRESETS[arch]
        missing = {'embed_dims', 'num_layers', 'num_heads'} - set(arch)
        if missing:
            raise ValueError(f'EOVisionTransformer: arch dict lacks {sorted(missing)}')
        return {'mlp_ratio': 4.0, **arch}

    @staticmethod
    def _resolve_channels(in_channels: int | None, bands: tuple[str, ...] | None) -> int:
        """Band count from ``in_channels`` and/or ``bands``; they must agree."""
        if in_channels is None and bands is None:
            raise ValueError('EOVisionTransformer: give in_channels or bands')
        if in_channels is not None and bands is not None and in_channels != len(bands):
            raise ValueError(f'EOVisionTransformer: in_channels={in_channels} but '
                             f'{len(bands)} bands {bands}')
        return in_channels if in_channels is not None else len(bands)

    def _init_parameters(self) -> None:
        """DINOv2 initialisation: truncated-normal linears and position embedding."""
        trunc_normal_(self.pos_embed, std=0.02)
        nn.init.normal_(self.cls_token, std=1e-6)
        if self.register_tokens is not None:
            nn.init.normal_(self.register_tokens, std=1e-6)
        for m in self.blocks.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def grid_size(self, x: torch.Tensor) -> tuple[int, int]:
        """Patch grid (H / p, W / p) of an image batch (B, C, H, W), validating its shape."""
        channels = len(getattr(self.patch_embed, 'input_bands', ())) or self.in_channels
        if x.ndim != 4 or x.shape[1] != channels:
            raise ValueError(f'EOVisionTransformer: expected input (B, {channels}, H, W),'
                             f' got {tuple(x.shape)}')
        h, w = x.shape[-2:]
        if h % self.patch_size or w % self.patch_size:
            raise ValueError(f'EOVisionTransformer: input {h}x{w} is not divisible by patch '
                             f'size {self.patch_size}')
        return h // self.patch_size, w // self.patch_size

    def patch_pos_embed(self, grid: tuple[int, int]) -> torch.Tensor:
        """Position embedding of the patches of a ``grid`` (h, w): (1, h·w, D)."""
        pos = self.pos_embed[:, 1:]
        side = self.img_size // self.patch_size
        if grid == (side, side):
            return pos
        pos = pos.reshape(1, side, side, -1).permute(0, 3, 1, 2)
        # CUDA's bicubic backward has no deterministic kernel: two matmuls instead
        resize = (interpolate_by_matrices if torch.are_deterministic_algorithms_enabled()
                  else F.interpolate)
        if self.interpolate_offset is None:
            pos = resize(pos.float(), size=grid, mode=self.interpolate_mode, align_corners=False)
        else:
            scale = tuple((g + self.interpolate_offset) / side for g in grid)
            pos = resize(pos.float(), scale_factor=scale, mode=self.interpolate_mode)
        pos = pos.to(self.pos_embed.dtype)
        return pos.flatten(2).transpose(1, 2)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) → tokens (B, 1 + N, D): CLS + patches, position embedding added."""
        grid = self.grid_size(x)
        patches = self.patch_embed(x) + self.patch_pos_embed(grid)
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
        return torch.cat([cls, patches], dim=1)

    @staticmethod
    def select_tokens(tokens: torch.Tensor, keep_idx: torch.Tensor) -> torch.Tensor:
        """Keep CLS and the patches ``keep_idx`` (B, K) of tokens (B, 1 + N, D) → (B, 1 + K, D)."""
        patches = tokens[:, 1:].gather(
            1, keep_idx.long().unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))
        return torch.cat([tokens[:, :1], patches], dim=1)

    def mask_tokens(self, idx: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
        """Mask tokens for hidden patches ``idx`` (B, M) of a ``grid``: (B, M, D)."""
        pos = self.patch_pos_embed(grid).expand(idx.shape[0], -1, -1)
        pos = pos.gather(1, idx.long().unsqueeze(-1).expand(-1, -1, self.embed_dims))
        return self.mask_token.to(pos.dtype) + pos

    def _with_registers(self, tokens: torch.Tensor) -> torch.Tensor:
        """Insert the register tokens after CLS: (B, 1 + K, D) → (B, 1 + R + K, D)."""
        if self.register_tokens is None:
            return tokens
        regs = self.register_tokens.expand(tokens.shape[0], -1, -1)
        return torch.cat([tokens[:, :1], regs, tokens[:, 1:]], dim=1)

    def encode(self, tokens: torch.Tensor | list[torch.Tensor],
               extra_tokens: torch.Tensor | list[torch.Tensor | None] | None = None,
               insert_at: int | None = None) -> torch.Tensor | list[torch.Tensor]:
        """Run all blocks on the given tokens only; returns normed (B, 1 + R + K + M, D).

        Args:
            tokens: (B, 1 + K, D) from :meth:`embed` (optionally through :meth:`select_tokens`);
                or a list of such groups of different sizes (e.g. global and local crops),
                which run through one block call per layer (:meth:`Block.forward_groups`) and
                come back as a list.
            extra_tokens: (B, M, D) tokens (e.g. :meth:`mask_tokens`) appended before block
                ``insert_at``; attention has no order, so appending equals inserting in place.
                For a list of groups, a list with one entry (or ``None``) per group.
            insert_at: block index in [0, num_layers) where ``extra_tokens`` join.
        """
        grouped = isinstance(tokens, list)
        extras = (extra_tokens if grouped else [extra_tokens]) if extra_tokens is not None else []
        if any(e is not None for e in extras) and not (insert_at is not None
                                                       and 0 <= insert_at < self.num_layers):
            raise ValueError(f'EOVisionTransformer.encode: insert_at must be in '
                             f'[0, {self.num_layers}), got {insert_at}')
        xs = [self._with_registers(t) for t in (tokens if grouped else [tokens])]
        if extras and len(extras) != len(xs):
            raise ValueError(f'EOVisionTransformer.encode: {len(extras)} extra_tokens entries '
                             f'for {len(xs)} token groups; give one (or None) per group')
        for i, block in enumerate(self.blocks):
            if extras and i == insert_at:
                xs = [x if e is None else torch.cat([x, e], dim=1) for x, e in zip(xs, extras)]
            xs = self._run_block(block, xs) if grouped else [self._run_block(block, xs[0])]
        return [self.norm(x) for x in xs] if grouped else self.norm(xs[0])

    def _run_block(self, block: nn.Module, x: torch.Tensor | list[torch.Tensor]
                   ) -> torch.Tensor | list[torch.Tensor]:
        """One block on (B, L, D) tokens (or a list of groups), checkpointed when ``with_cp``
        and gradients flow.

        Non-reentrant checkpointing replays the block's RNG state, so drop-path draws the same
        masks in the recomputation.
        """
        if self.with_cp and self.training and torch.is_grad_enabled():
            return checkpoint(block, x, use_reentrant=False)
        return block(x)

    def _format(self, x: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
        """One block output (B, 1 + R + N, D) in the configured ``out_type``."""
        if self.final_norm:
            x = self.norm(x)
        patches = x[:, 1 + self.num_register_tokens:]
        if self.out_type == 'cls_token':
            return x[:, 0]
        if self.out_type == 'avg_featmap':
            return patches.mean(dim=1)
        if self.out_type == 'featmap':
            return patches.transpose(1, 2).reshape(x.shape[0], -1, *grid)
        return x

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Dense forward of (B, C, H, W); see the class docstring for the output shapes."""
        grid = self.grid_size(x)
        tokens = self._with_registers(self.embed(x))
        outs = []
        for i, block in enumerate(self.blocks):
            tokens = self._run_block(block, tokens)
            if i in self.out_indices:
                outs.append(self._format(tokens, grid))
        return tuple(outs)
