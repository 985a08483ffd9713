"""The fast paths, each a recipe change, and the reference paths they are measured against.

A fast path is switched on by config alone (the same ``--cfg-options`` work with
``tools/train.py``) except ``compile``, which is mmengine's top-level ``compile=True``:

- ``bf16``: ``EOOptimWrapper`` with ``dtype='bfloat16'`` (``tools/train.py --amp``):
  autocast matmuls / convolutions to bfloat16, no loss scaling; GPUs and CPUs with bf16
  instructions (AVX512-BF16 / AMX).
- ``channels_last``: ConvNet weights (``EOResNet`` / ``ConvNeXtV2FCMAE`` ``channels_last``)
  and batches (``EODataPreprocessor(channels_last=True)``) in NHWC.
- ``fused_adamw``: ``optim_wrapper.optimizer.fused=True`` (one kernel for all parameters).
- ``compile``: ``torch.compile`` of every transformer / ConvNeXt / ResNet block in place
  (``nn.Module.compile``: parameter names and checkpoints unchanged). mmengine's own
  ``compile=True`` compiles the whole ``train_step`` and fails on eossl batches, whose data
  samples carry numpy arrays (MP-MAE targets, PerA index sets) that dynamo cannot trace
  through ``DataSample.to``; a block is also what PerA's sparse path calls (not ``forward``).

SDPA attention is the ViTs' default; ``naive_attention`` (``fused_attention=False``) is its
reference, and ``dense_views`` (SoftCon ``mask_ratio=0``) the reference of Siamese masking.
"""
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from mmengine.config import Config, ConfigDict

VIT_TYPES = ('EOVisionTransformer', 'eossl.EOVisionTransformer')
CONVNET_TYPES = ('EOResNet', 'eossl.EOResNet', 'ConvNeXtV2FCMAE', 'eossl.ConvNeXtV2FCMAE')
ADAM_TYPES = ('Adam', 'AdamW')


def backbones(cfg: Config) -> Iterator[ConfigDict]:
    """The backbone configs of the recipe's model (``backbone``, ``s1_backbone``, ...)."""
    for key, value in cfg.model.items():
        if key.endswith('backbone') and isinstance(value, dict):
            yield value


@dataclass(frozen=True)
class Variant:
    """A recipe change to benchmark.

    Attributes:
        reference: the variant is the slow reference of a default fast path (its speed-up is
            baseline / variant), not a fast path (variant / baseline).
        skip: ``(cfg, device) → reason`` when the variant does not apply, else None.
        apply: edits the config in place.
    """

    reference: bool
    skip: Callable[[Config, torch.device], str | None]
    apply: Callable[[Config], None]


def _needs_backbone(types: tuple[str, ...], what: str) -> Callable:
    def skip(cfg: Config, device: torch.device) -> str | None:
        return None if any(b.get('type') in types for b in backbones(cfg)) else f'no {what}'
    return skip


def _channels_last(cfg: Config) -> None:
    for backbone in backbones(cfg):
        if backbone.get('type') in CONVNET_TYPES:
            backbone.channels_last = True
    cfg.model.data_preprocessor.channels_last = True


def _naive_attention(cfg: Config) -> None:
    for backbone in backbones(cfg):
        if backbone.get('type') in VIT_TYPES:
            backbone.fused_attention = False


def _bf16(cfg: Config) -> None:
    cfg.optim_wrapper.type = 'EOOptimWrapper'
    cfg.optim_wrapper.dtype = 'bfloat16'


def _bf16_skip(cfg: Config, device: torch.device) -> str | None:
    from eossl.engine.precision import autocast_dtype
    if autocast_dtype(device.type) is torch.bfloat16:
        return None
    return f'{device.type} computes bf16 only by emulation'


VARIANTS: dict[str, Variant] = {
    'baseline': Variant(False, lambda cfg, device: None, lambda cfg: None),
    'bf16': Variant(False, _bf16_skip, _bf16),
    'channels_last': Variant(False, _needs_backbone(CONVNET_TYPES, 'ConvNet backbone'),
                             _channels_last),
    'fused_adamw': Variant(
        False, lambda cfg, device: None if cfg.optim_wrapper.optimizer.type in ADAM_TYPES
        else 'optimizer is not Adam/AdamW',
        lambda cfg: cfg.optim_wrapper.optimizer.update(fused=True)),
    'compile': Variant(False, lambda cfg, device: None,
                       lambda cfg: cfg.merge_from_dict({'compile_blocks': True})),
    'naive_attention': Variant(True, _needs_backbone(VIT_TYPES, 'ViT backbone'),
                               _naive_attention),
    'dense_views': Variant(
        True, lambda cfg, device: None if cfg.model.get('mask_ratio', 0) > 0 and
        'VisionTransformer' in str(cfg.model.get('backbone', {}).get('type'))
        else 'no Siamese masking of a ViT in this recipe',
        lambda cfg: cfg.model.update(mask_ratio=0.0)),
}
