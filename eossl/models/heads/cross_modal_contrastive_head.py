"""Head that scores paired embeddings of two modalities with a cross-modal contrastive loss."""
import torch
from mmengine.model import BaseModule

from eossl.registry import MODELS


@MODELS.register_module()
class CrossModalContrastiveHead(BaseModule):
    """Owns the cross-modal contrastive loss, as mmpretrain's ``ContrastiveHead`` owns SimCLR's.

    Args:
        loss: loss config, e.g. ``dict(type='CrossModalNTXentLoss', temperature=0.07)``; it is
            called as ``loss(z1, z2)`` and returns a scalar.
        init_cfg: mmengine initialization config.
    """

    def __init__(self, loss: dict, init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.loss_module = MODELS.build(loss)

    def loss(self, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        """Scalar loss of paired embeddings ``z1`` ``(B, D)`` (S1) and ``z2`` ``(B, D)`` (S2)."""
        return self.loss_module(z1, z2)
