"""Head that scores two views of two modalities with DeCUR's decoupled correlation loss."""
import torch
from mmengine.model import BaseModule

from eossl.registry import MODELS


@MODELS.register_module()
class DeCURHead(BaseModule):
    """Owns :class:`~eossl.models.losses.DeCURLoss` and names its terms after the modalities.

    Args:
        loss: loss config, e.g. ``dict(type='DeCURLoss', dim_common=7168)``; called as
            ``loss(za1, za2, zb1, zb2)`` and returning the dict of
            :meth:`~eossl.models.losses.decur_loss.DeCURLoss.forward`.
        modalities: names of modality a and b, used in the loss keys.
        init_cfg: mmengine initialization config.
    """

    def __init__(self, loss: dict, modalities: tuple[str, str] = ('s1', 's2'),
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(modalities) != 2 or modalities[0] == modalities[1]:
            raise ValueError(f'DeCURHead: modalities must be two distinct names, got '
                             f'{modalities!r}')
        self.loss_module = MODELS.build(loss)
        self.modalities = tuple(modalities)

    def loss(self, za: tuple[torch.Tensor, torch.Tensor],
             zb: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Loss terms of the projections of two views of each modality, ``(B, D)`` each.

        Returns:
            ``loss_intra_<a>``, ``loss_intra_<b>``, ``loss_cross`` (summed by the optimizer
            step to the official ``(L_a + L_b + L_cross) / 3``) and, for the log only,
            ``cross_common`` and ``cross_unique``.
        """
        terms = self.loss_module(za[0], za[1], zb[0], zb[1])
        a, b = self.modalities
        return {f'loss_intra_{a}': terms['intra_a'], f'loss_intra_{b}': terms['intra_b'],
                'loss_cross': terms['cross'], 'cross_common': terms['cross_common'],
                'cross_unique': terms['cross_unique']}
