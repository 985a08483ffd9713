"""The FCMAE decoder that MP-MAE shares across all its pretext targets."""
import torch
from mmengine.model import BaseModule, Sequential
from mmpretrain.models.backbones.convnext import ConvNeXtBlock
from torch import nn

from eossl.models.utils.fcmae_init import init_fcmae_decoder
from eossl.registry import MODELS


@MODELS.register_module()
class FCMAEDecoder(BaseModule):
    """1×1 projection, mask tokens at masked cells, then ConvNeXt V2 block(s).

    MMEarth builds one decoder block and hands the same instance to every modality, so the block
    is shared; its output is computed once here and read by every head.

    Args:
        in_channels: encoder channels of the last stage (320 for atto, 768 for tiny).
        embed_dim: decoder width (512).
        depth: number of dense ConvNeXt V2 blocks (1).
        grn_eps: the ε of the blocks' GRN, ``Nx = Gx / (mean_c Gx + ε)``: 1e-4 as the official
            dense ``GRN`` (MMEarth ``models/norm_layers.py``) that the decoder block uses (the
            sparse encoder's MinkowskiGRN, and mmpretrain's default, use 1e-6). It matters
            once GRN's ``gamma`` moves away from its zero init (whole-step parity test).
        init_cfg: ``None`` = MMEarth's official init (:func:`init_fcmae_decoder`: convs
            N(0, 1), linears N(0, 0.02²)); any mmengine init config replaces it. The mask token
            is drawn from N(0, 0.02²) in both cases.
    """

    def __init__(self, in_channels: int, embed_dim: int = 512, depth: int = 1,
                 grn_eps: float = 1e-4, init_cfg: dict | list[dict] | None = None):
        super().__init__(init_cfg=init_cfg)
        self.proj = nn.Conv2d(in_channels, embed_dim, kernel_size=1)
        self.mask_token = nn.Parameter(torch.zeros(1, embed_dim, 1, 1))
        self.blocks = Sequential(*(ConvNeXtBlock(embed_dim, use_grn=True,
                                                 layer_scale_init_value=0.)
                                   for _ in range(depth)))
        for block in self.blocks:
            block.grn.eps = grn_eps

    def init_weights(self) -> None:
        """Init layers (official rule or ``init_cfg``) and the mask token from N(0, 0.02²)."""
        if self.init_cfg is None:
            init_fcmae_decoder(self)
            self._is_init = True
        else:
            super().init_weights()
        nn.init.normal_(self.mask_token, std=.02)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x`` ``(B, C, h, w)`` encoder map, ``mask`` ``(B, h, w)`` (1 = masked) →
        ``(B, embed_dim, h, w)``."""
        x = self.proj(x)
        if tuple(mask.shape) != (x.shape[0], *x.shape[2:]):
            raise ValueError(f'mask must be (B, h, w) = {(x.shape[0], *x.shape[2:])}, '
                             f'got {tuple(mask.shape)}')
        m = mask.unsqueeze(1).to(x.dtype)
        x = x * (1. - m) + self.mask_token * m
        return self.blocks(x)
