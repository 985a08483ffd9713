"""mmpretrain's ImageClassifier with an optional frozen backbone (the linear probe)."""
import torch
from mmpretrain.models import ImageClassifier
from mmpretrain.structures import DataSample

from eossl.models.utils.band_routing import route_batch_bands
from eossl.models.utils.pooling_check import check_no_double_pooling
from eossl.registry import MODELS


@MODELS.register_module()
class EOImageClassifier(ImageClassifier):
    """An mmpretrain ``ImageClassifier`` whose backbone can be frozen for linear probing.

    With ``freeze_backbone=True`` the backbone's parameters get ``requires_grad=False`` when the
    model is built — before mmengine wraps it in DDP, so no rank waits for gradients that never
    come — and the backbone stays in eval mode whatever ``train()`` is called with, so BatchNorm
    statistics and dropout/drop-path are those of the pretrained network. Only the neck and
    head learn. Any backbone works (ResNet, ViT, ConvNeXt, Swin, :class:`DualModalityBackbone`),
    unlike per-backbone ``frozen_stages`` options.

    A pooling neck after a backbone that already pools (ViT ``cls_token``, the Dual-SimCLR
    backbone) is refused when the model is built (:mod:`eossl.models.utils.pooling_check`).

    Args:
        freeze_backbone: freeze the backbone (linear probe) or not (fine-tuning).
        **kwargs: :class:`mmpretrain.models.ImageClassifier` arguments (``backbone``, ``neck``,
            ``head``, ``data_preprocessor`` — normally ``eossl.EOClsDataPreprocessor`` — ...).
    """

    def __init__(self, *, freeze_backbone: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        check_no_double_pooling(self.backbone, getattr(self, 'neck', None))
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            self.backbone.requires_grad_(False)
            self.backbone.eval()

    def forward(self, inputs: torch.Tensor, data_samples: list[DataSample] | None = None,
                mode: str = 'tensor'):
        """mmpretrain's forward, after handing a wavelength backbone the bands the batch names
        (:mod:`eossl.models.utils.band_routing`; a fixed-stem backbone is untouched)."""
        route_batch_bands(self, data_samples)
        return super().forward(inputs, data_samples, mode)

    def train(self, mode: bool = True) -> 'EOImageClassifier':
        """Set the train/eval mode; a frozen backbone always stays in eval mode."""
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
        return self
