"""The DINO-style projector shared by PerA's prototype head and pixel head."""
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.init import trunc_normal_
from torch.nn.utils.parametrizations import weight_norm

from eossl.registry import MODELS


@MODELS.register_module()
class BottleneckProjector(nn.Module):
    """MLP to a bottleneck, L2-normalise, then a weight-normed linear layer without bias.

    ``(..., D) → mlp (D → hidden → … → bottleneck, GELU) → L2 norm → last_layer → (..., out)``.
    The last layer's direction and norm are separate parameters with the norm initialised
    to 1, so its outputs are cosine similarities to ``out`` learnable directions (DINO).

    Args:
        in_channels: input width D.
        out_channels: output width (prototypes K, or patch² · C for pixels).
        hidden_channels: width of the hidden layers.
        bottleneck_channels: width before the L2 normalisation.
        num_layers: linear layers in the MLP (≥ 1; 1 means a single D → bottleneck layer).
        fp32_prototypes: run ``last_layer`` in fp32 inside a bf16/fp16 autocast step. Off by
            default: the official code (DINOv2) runs its heads in half precision. Its logits
            are cosines divided by the teacher temperature (0.04): a bf16 logit near ±1 is off
            by up to 2⁻⁸, i.e. ~0.1 in the teacher's exponent; fp32 prototypes remove that at
            the cost of the largest matmul of the head in fp32.
    """

    def __init__(self, in_channels: int, out_channels: int, hidden_channels: int = 2048,
                 bottleneck_channels: int = 384, num_layers: int = 3,
                 fp32_prototypes: bool = False) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f'BottleneckProjector: num_layers must be ≥ 1, got {num_layers}')
        widths = [in_channels] + [hidden_channels] * (num_layers - 1) + [bottleneck_channels]
        layers: list[nn.Module] = []
        for i, (w_in, w_out) in enumerate(zip(widths[:-1], widths[1:])):
            layers += [nn.Linear(w_in, w_out)] + ([nn.GELU()] if i < num_layers - 1 else [])
        self.mlp = nn.Sequential(*layers)
        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        self.fp32_prototypes = fp32_prototypes
        self.last_layer = weight_norm(nn.Linear(bottleneck_channels, out_channels, bias=False))
        with torch.no_grad():
            self.last_layer.parametrizations.weight.original0.fill_(1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., D) → (..., out_channels)."""
        x = self.mlp(x)
        if self.fp32_prototypes:
            with torch.autocast(x.device.type, enabled=False):
                return self.last_layer(F.normalize(x.float(), dim=-1))
        eps = 1e-6 if x.dtype in (torch.float16, torch.bfloat16) else 1e-12
        return self.last_layer(F.normalize(x, dim=-1, eps=eps))
