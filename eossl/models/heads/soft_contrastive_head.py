"""Head that scores two views' embeddings with SoftCon's soft contrastive loss."""
import torch
from mmengine.model import BaseModule

from eossl.registry import MODELS


@MODELS.register_module()
class SoftContrastiveHead(BaseModule):
    """Owns the soft contrastive loss, as mmpretrain's ``ContrastiveHead`` owns SimCLR's.

    Args:
        loss: loss config, e.g. ``dict(type='SoftContrastiveLoss', temperature=0.2)``; called as
            ``loss(z1, z2, labels)`` and returning a scalar.
        init_cfg: mmengine initialization config.
    """

    def __init__(self, loss: dict, init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.loss_module = MODELS.build(loss)

    def loss(self, z1: torch.Tensor, z2: torch.Tensor,
             labels: torch.Tensor | None = None) -> torch.Tensor:
        """Scalar loss of the embeddings ``z1``, ``z2`` ``(B, D)`` of two views of B scenes with
        multi-hot ``labels`` ``(B, K)`` (all-zero row = unlabeled) or ``None``."""
        return self.loss_module(z1, z2, labels)
