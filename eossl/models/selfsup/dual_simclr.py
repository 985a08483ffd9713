"""Dual-SimCLR: contrastive S1/S2 fusion with one backbone per modality (Scheibenreif et al.)."""
import torch
from mmpretrain.structures import DataSample

from eossl.registry import MODELS

from .base import BaseEOSelfSupervisor, EOInputs

MODALITIES = ('s1', 's2')


@MODELS.register_module()
class DualSimCLR(BaseEOSelfSupervisor):
    """Two backbones (S1, S2), two necks, one cross-modal contrastive head.

    No augmentation makes the positive pair: S1_i and S2_i show the same place at the same time,
    and the head's NT-Xent pulls them together against every other scene of both modalities.

    Inputs are a dict ``{'s1': (B, C1, H, W), 's2': (B, C2, H, W)}`` (e.g. C1 = 2 for VV/VH,
    C2 = 13 for S2 L1C), as packed by ``PackEOInputs(keys=('s1', 's2'))``.

    Args:
        s1_backbone: S1 backbone config (``EOResNet`` or mmpretrain ``SwinTransformer``).
        s2_backbone: S2 backbone config.
        s1_neck: S1 neck config: ``ProjectionMLP`` (ResNet) or ``GlobalAveragePooling`` (Swin).
        s2_neck: S2 neck config.
        head: ``CrossModalContrastiveHead`` config, which owns the loss.
        data_preprocessor: preprocessor config, normally ``eossl.EODataPreprocessor``.
        init_cfg: mmengine initialization config.
    """

    def __init__(self, s1_backbone: dict, s2_backbone: dict, s1_neck: dict, s2_neck: dict,
                 head: dict, data_preprocessor: dict | None = None,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.s1_backbone = MODELS.build(s1_backbone)
        self.s2_backbone = MODELS.build(s2_backbone)
        self.s1_neck = MODELS.build(s1_neck)
        self.s2_neck = MODELS.build(s2_neck)
        self.head = MODELS.build(head)

    def extract_feat(self, inputs: EOInputs) -> dict[str, torch.Tensor]:
        """What downstream gets: each modality's last backbone output, globally average-pooled.

        Returns:
            ``{'s1': (B, C_s1), 's2': (B, C_s2)}`` (2048 each for ResNet-50, 768 for Swin-T);
            the official downstream classifier concatenates the two → linear layer.
        """
        s1, s2 = _split(inputs)
        return {'s1': _pool(self.s1_backbone(s1)[-1]), 's2': _pool(self.s2_backbone(s2)[-1])}

    def loss(self, inputs: EOInputs, data_samples: list[DataSample] | None = None,
             **kwargs) -> dict[str, torch.Tensor]:
        """``{'loss': scalar}``: the head's cross-modal NT-Xent of the two necks' embeddings."""
        s1, s2 = _split(inputs)
        z1 = self.s1_neck(self.s1_backbone(s1))[-1]  # (B, D)
        z2 = self.s2_neck(self.s2_backbone(s2))[-1]  # (B, D)
        return {'loss': self.head.loss(z1, z2)}


def _split(inputs: EOInputs) -> tuple[torch.Tensor, torch.Tensor]:
    """``(s1, s2)`` tensors from the modality dict, checked to describe the same B scenes."""
    if not isinstance(inputs, dict) or set(MODALITIES) - set(inputs):
        found = sorted(inputs) if isinstance(inputs, dict) else type(inputs).__name__
        raise ValueError(f'DualSimCLR: inputs must be a dict with keys {MODALITIES} '
                         f'(PackEOInputs(keys=("s1", "s2"))), got {found}')
    s1, s2 = inputs['s1'], inputs['s2']
    if not (isinstance(s1, torch.Tensor) and isinstance(s2, torch.Tensor)
            and s1.dim() == 4 and s2.dim() == 4 and s1.size(0) == s2.size(0)):
        describe = {k: tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__
                    for k, v in (('s1', s1), ('s2', s2))}
        raise ValueError('DualSimCLR: inputs["s1"] and inputs["s2"] must be (B, C, H, W) '
                         f'tensors with the same B (one view per modality), got {describe}')
    return s1, s2


def _pool(feat: torch.Tensor) -> torch.Tensor:
    """Global average pool ``(B, C, H, W)`` → ``(B, C)``; ``(B, C)`` passes through."""
    return feat.mean(dim=(2, 3)) if feat.dim() == 4 else feat
