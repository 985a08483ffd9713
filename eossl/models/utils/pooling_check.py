"""Build-time check that a classifier does not pool features its backbone already pooled.

A neck such as ``GlobalAveragePooling`` after a backbone that returns ``(B, D)`` vectors (an
:class:`~eossl.models.EOVisionTransformer` with ``out_type='cls_token'`` / ``'avg_featmap'``,
the SoftCon and PerA default, or :class:`~eossl.models.DualModalityBackbone`) otherwise fails
in the first forward with torch's bare "Input dimension should be at least 3".
"""
from torch import nn

POOLING_NECKS = ('GlobalAveragePooling', 'GeneralizedMeanPooling')
POOLED_OUT_TYPES = ('cls_token', 'avg_featmap')


def pooled_output(backbone: nn.Module) -> str | None:
    """A description of ``backbone``'s output when it is already pooled ``(B, D)``, else None."""
    name = type(backbone).__name__
    if name == 'DualModalityBackbone':
        return f"{name} returns its modalities' pooled features concatenated, (B, D1 + D2)"
    out_type = getattr(backbone, 'out_type', None)
    if name == 'EOVisionTransformer' and out_type in POOLED_OUT_TYPES:
        return f"{name}(out_type='{out_type}') returns (B, D) vectors"
    return None


def check_no_double_pooling(backbone: nn.Module, neck: nn.Module | None) -> None:
    """Raise ``ValueError`` naming the backbone output and the neck option when a pooling neck
    follows an already pooled backbone."""
    if neck is None or type(neck).__name__ not in POOLING_NECKS:
        return
    pooled = pooled_output(backbone)
    if pooled is not None:
        fix = ("set model.backbone.out_type='featmap' to let the neck pool the patch features"
               if type(backbone).__name__ == 'EOVisionTransformer' else 'drop the neck')
        raise ValueError(f'model.neck={type(neck).__name__} pools again what the backbone '
                         f'already pooled: {pooled}. Remove model.neck (neck=None) or {fix}.')
