"""Siamese masking for SoftCon's ViTs: each view keeps its own random subset of patch tokens.

Both branches of the pair drop a fraction of their patches independently, and only the kept
tokens (plus CLS) enter the encoder through the ViT's sparse path, so the cost of a step falls
with the ratio while the two views of a scene see different parts of it (a regularizer).
"""
import torch

from eossl.models.backbones import EOVisionTransformer


def random_keep_indices(batch: int, num_patches: int, mask_ratio: float,
                        device: torch.device | None = None) -> torch.Tensor:
    """Indices ``(B, K)`` of the patches each sample keeps, ``K = max(1, ⌊N·(1 − ratio)⌋)``.

    Drawn from torch's global generator (seeded by mmengine), uniformly without replacement and
    independently per row.
    """
    if not 0.0 <= mask_ratio < 1.0:
        raise ValueError(f'random_keep_indices: mask_ratio must be in [0, 1), got {mask_ratio}')
    keep = max(1, int(num_patches * (1.0 - mask_ratio)))
    return torch.rand(batch, num_patches, device=device).argsort(dim=1)[:, :keep]


def visible_cls_token(vit: EOVisionTransformer, images: torch.Tensor,
                      keep_idx: torch.Tensor) -> torch.Tensor:
    """Final-normed CLS token ``(B, D)`` of ``images`` ``(B, C, H, W)`` encoded from CLS and the
    patches ``keep_idx`` ``(B, K)`` only; position embeddings are added before the drop."""
    tokens = vit.select_tokens(vit.embed(images), keep_idx)
    return vit.encode(tokens)[:, 0]  # type: ignore[call-overload]
