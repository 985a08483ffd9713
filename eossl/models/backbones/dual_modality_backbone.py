"""Downstream backbone of Dual-SimCLR: both modality backbones, pooled features concatenated."""
import torch
from mmengine.model import BaseModule

from eossl.registry import MODELS

MODALITIES = ('s1', 's2')


@MODELS.register_module()
class DualModalityBackbone(BaseModule):
    """An S1 and an S2 backbone side by side; the output is their pooled features concatenated.

    This is the official Dual-SimCLR downstream classifier's feature: each backbone's last output
    globally average-pooled, ``[f_s1, f_s2]`` → a linear head. The sub-backbones are the modules
    ``s1`` and ``s2``, so ``eossl-extract-backbone --modality both`` writes
    ``backbone.s1.*`` / ``backbone.s2.*`` and
    ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')`` loads both.

    Input: ``{'s1': (B, C1, H, W), 's2': (B, C2, H', W')}`` (``PackEOInputs(keys=('s1', 's2'))``
    + a per-modality ``EODataPreprocessor``). Output: a 1-tuple ``((B, D1 + D2),)`` (2 × 2048 for
    ResNet-50, 2 × 768 for Swin-T), the shape mmpretrain heads take.

    Args:
        s1_backbone: config of the S1 backbone (e.g. ``eossl.EOResNet`` with 2 bands).
        s2_backbone: config of the S2 backbone.
        init_cfg: mmengine initialization config (``Pretrained`` with ``prefix='backbone.'``).
    """

    def __init__(self, s1_backbone: dict, s2_backbone: dict,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.modalities = MODALITIES  # the sub-backbone attributes, in output order
        self.s1 = MODELS.build(s1_backbone)
        self.s2 = MODELS.build(s2_backbone)

    def forward(self, inputs: dict[str, torch.Tensor]) -> tuple[torch.Tensor]:
        """``{'s1', 's2'}`` batches → ``((B, D1 + D2),)``."""
        if not isinstance(inputs, dict) or set(MODALITIES) - set(inputs):
            found = sorted(inputs) if isinstance(inputs, dict) else type(inputs).__name__
            raise ValueError(f'DualModalityBackbone: inputs must be a dict with keys '
                             f'{MODALITIES} (PackEOInputs(keys=("s1", "s2"))), got {found}')
        if inputs['s1'].shape[0] != inputs['s2'].shape[0]:
            raise ValueError(f"DualModalityBackbone: s1 batch {tuple(inputs['s1'].shape)} and s2 "
                             f"batch {tuple(inputs['s2'].shape)} differ in size")
        pooled = [_pool(getattr(self, m)(inputs[m])[-1]) for m in self.modalities]
        return (torch.cat(pooled, dim=1), )


def _pool(feat: torch.Tensor) -> torch.Tensor:
    """Global average pool ``(B, C, H, W)`` → ``(B, C)``; ``(B, C)`` passes through."""
    return feat.mean(dim=(2, 3)) if feat.dim() == 4 else feat
