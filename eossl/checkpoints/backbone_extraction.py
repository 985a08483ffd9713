"""An eossl pretraining checkpoint → the weights of its backbone(s), for downstream recipes.

Where each algorithm keeps its backbone in ``state_dict``:

- SoftCon, MP-MAE, PerA (student): ``backbone.*``;
- PerA's EMA teacher: ``teacher.module.backbone.*``;
- Dual-SimCLR: ``s1_backbone.*`` and ``s2_backbone.*``.

The result always uses the prefix ``backbone.`` so that a downstream recipe loads it with
``init_cfg=dict(type='Pretrained', checkpoint=FILE, prefix='backbone.')`` on its backbone. For
Dual-SimCLR, ``modality='both'`` writes ``backbone.s1.*`` / ``backbone.s2.*``, the layout of
:class:`~eossl.models.backbones.DualModalityBackbone`.

Default source for a checkpoint with an EMA teacher: the **teacher**, as DINO, iBOT and DINOv2
evaluate and release theirs (the averaged weights transfer better); ``source='student'`` takes
the student.
"""
from collections import OrderedDict
from collections.abc import Mapping

import torch

PREFIXES = {
    'student': 'backbone.',
    'teacher': 'teacher.module.backbone.',
    's1': 's1_backbone.',
    's2': 's2_backbone.',
}
SOURCES = ('auto', 'student', 'teacher')
MODALITY_CHOICES = ('s1', 's2', 'both')
StateDict = Mapping[str, torch.Tensor]


def unwrap_state_dict(checkpoint: Mapping) -> Mapping[str, torch.Tensor]:
    """The tensors of an mmengine checkpoint (``{'state_dict': ..., 'meta': ...}``) or a bare
    state dict."""
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, Mapping):
        raise ValueError('checkpoint has no state_dict mapping of tensors')
    return state


def strip_prefix(state: StateDict, prefix: str) -> OrderedDict:
    """The entries of ``state`` whose key starts with ``prefix``, without it (order kept)."""
    return OrderedDict((k[len(prefix):], v) for k, v in state.items() if k.startswith(prefix))


def first_layer(state: StateDict) -> tuple[str, int] | None:
    """``(key, input bands)`` of the first convolution weight ``(O, C, k, k)`` of a backbone.

    Backbones register their stem first (ViT ``patch_embed.proj``, ResNet ``conv1``, Swin
    ``patch_embed.projection``, ConvNeXt ``initial_conv.0`` / ``stem.0``), so the first 4-D
    weight in state-dict order is the layer that sees the bands. A wavelength stem (its
    ``generator`` registered first) takes any band count: ``None``.
    """
    for key, value in state.items():
        if '.generator.' in key:
            return None
        if key.endswith('weight') and getattr(value, 'dim', lambda: 0)() == 4:
            return key, int(value.shape[1])
    return None


def _describe_keys(state: StateDict, limit: int = 5) -> str:
    heads = sorted({k.split('.', 1)[0] + '.' for k in state})
    more = f' … (+{len(heads) - limit})' if len(heads) > limit else ''
    return ', '.join(heads[:limit]) + more


def extract_backbone(checkpoint: Mapping, modality: str | None = None,
                     source: str = 'auto') -> tuple[OrderedDict, dict]:
    """Backbone weights under ``backbone.`` and a description of what was taken.

    Args:
        checkpoint: an eossl training checkpoint (or its ``state_dict``).
        modality: Dual-SimCLR checkpoints only: ``'s1'``, ``'s2'`` (one backbone, keys
            ``backbone.*``) or ``'both'`` (the default there; keys ``backbone.s1.*`` and
            ``backbone.s2.*``).
        source: single-backbone checkpoints: ``'student'``, ``'teacher'`` (needs an EMA
            teacher) or ``'auto'`` (the teacher when there is one, else the student).

    Returns:
        ``(state, info)``: ``info`` has ``taken_from`` (``{output prefix: checkpoint prefix}``)
        and ``in_channels`` (``{output prefix: bands of the first layer}``).

    Raises:
        ValueError: naming the option and what the checkpoint holds, for a modality asked of a
            single-backbone checkpoint (or missing from a Dual-SimCLR one), a teacher asked of a
            checkpoint without one, or a checkpoint without any known backbone prefix.
    """
    if source not in SOURCES:
        raise ValueError(f'source must be one of {SOURCES}, got {source!r}')
    if modality is not None and modality not in MODALITY_CHOICES:
        raise ValueError(f'modality must be one of {MODALITY_CHOICES}, got {modality!r}')
    state = unwrap_state_dict(checkpoint)
    present = {role for role, prefix in PREFIXES.items()
               if any(k.startswith(prefix) for k in state)}
    if {'s1', 's2'} & present:
        wanted = {'s1': ('s1', ), 's2': ('s2', ), 'both': ('s1', 's2')}[modality or 'both']
        missing = [m for m in wanted if m not in present]
        if missing:
            raise ValueError(f'modality={modality!r}: the checkpoint has no {missing} backbone '
                             f'(it holds {sorted(present)})')
        if source == 'teacher':
            raise ValueError('source=teacher: a Dual-SimCLR checkpoint has no EMA teacher')
        plan = {('backbone.' if len(wanted) == 1 else f'backbone.{m}.'): PREFIXES[m]
                for m in wanted}
    else:
        if modality is not None:
            raise ValueError(f'modality={modality!r} applies to Dual-SimCLR checkpoints '
                             '(s1_backbone.* / s2_backbone.*); this one holds '
                             f'{_describe_keys(state)}')
        role = ('teacher' if 'teacher' in present else 'student') if source == 'auto' else source
        if role not in present:
            raise ValueError(f"source={source!r}: no '{PREFIXES[role]}' keys in the checkpoint "
                             f'(it holds {_describe_keys(state)}); expected an eossl '
                             'pretraining checkpoint (SoftCon, PerA, MP-MAE, Dual-SimCLR)')
        plan = {'backbone.': PREFIXES[role]}
    out: OrderedDict = OrderedDict()
    info: dict = {'taken_from': dict(plan), 'in_channels': {}}
    for out_prefix, in_prefix in plan.items():
        part = strip_prefix(state, in_prefix)
        out.update((out_prefix + k, v) for k, v in part.items())
        layer = first_layer(part)
        info['in_channels'][out_prefix] = None if layer is None else layer[1]
    return out, info
