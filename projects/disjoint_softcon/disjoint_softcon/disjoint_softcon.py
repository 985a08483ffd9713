"""DisjointSoftCon: SoftCon's soft contrastive loss between views that see disjoint patches."""
from collections.abc import Sequence

import numpy as np
import torch
from mmpretrain.structures import DataSample

from eossl.models.selfsup import SoftCon
from eossl.models.selfsup.siamese_masking import visible_cls_token
from eossl.registry import MODELS


@MODELS.register_module()
class DisjointSoftCon(SoftCon):
    """SoftCon whose two views are PerA-style aligned pairs encoded from disjoint patch sets.

    SoftCon's Siamese masking drops patches of each view independently; here the two views are
    the same crop with different photometry (``AlignedMultiViews(num_global=1, num_local=0)``)
    and ``DisjointMaskGenerator`` splits its patches so that the first view keeps only the
    ``student`` patches and the second only the ``teacher`` patches. Agreement must then come
    from the content of the scene, not from shared pixels. Loss, neck, head and the multi-hot
    soft targets are SoftCon's.

    Inputs: a list of two view batches ``(B, C, H, W)`` and per sample the DataSample field
    ``mask_key`` = ``{'student': [(K_s,)], 'predict': [...], 'teacher': [(K_t,)]}`` (one slot).

    Args:
        mask_key: the DataSample field written by ``DisjointMaskGenerator``.
        **kwargs: :class:`~eossl.models.selfsup.SoftCon` arguments with a ViT backbone;
            ``mask_ratio`` must stay 0 (the masks come from the pipeline).
    """

    def __init__(self, mask_key: str = 'disjoint_masks', **kwargs) -> None:
        super().__init__(**kwargs)
        if not self.is_vit or self.mask_ratio:
            raise ValueError('DisjointSoftCon: needs an EOVisionTransformer backbone and '
                             f'mask_ratio=0 (masks come from DisjointMaskGenerator), got '
                             f'{type(self.backbone).__name__}, mask_ratio={self.mask_ratio}')
        self.mask_key = mask_key

    def consumed_fields(self) -> set[str]:
        """The patch index sets ``mask_key``."""
        return {self.mask_key}

    def _keep(self, data_samples: Sequence[DataSample] | None, name: str,
              device: torch.device) -> torch.Tensor:
        """Patch indices ``(B, K)`` the ``name`` view keeps, stacked over the batch."""
        if not data_samples or data_samples[0].get(self.mask_key) is None:
            raise ValueError(f'DisjointSoftCon: data samples lack "{self.mask_key}"; add '
                             'DisjointMaskGenerator and PackEOInputs(algorithm_keys=('
                             f"'{self.mask_key}',)) to the pipeline")
        rows = [sample.get(self.mask_key)[name][0] for sample in data_samples]
        return torch.as_tensor(np.stack(rows), device=device)

    def loss(self, inputs: list[torch.Tensor], data_samples: list[DataSample] | None = None,
             **kwargs) -> dict[str, torch.Tensor]:
        """``{'loss': scalar}``: soft contrastive loss of the two disjointly masked views."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError('DisjointSoftCon: inputs must be the two views of one slot '
                             '(AlignedMultiViews(num_global=1, num_local=0))')
        device = inputs[0].device
        first = visible_cls_token(self.backbone, inputs[0], self._keep(data_samples, 'student',
                                                                       device))
        second = visible_cls_token(self.backbone, inputs[1], self._keep(data_samples, 'teacher',
                                                                        device))
        z1, z2 = self.neck((torch.cat([first, second]), ))[0].chunk(2)
        labels = self.multi_hot(data_samples, inputs[0].shape[0], device)
        return {'loss': self.head.loss(z1, z2, labels)}
