"""Official DeCUR checkpoints → eossl ``DeCUR`` model or backbone state dicts.

Layouts handled (``zhu-xlab/DeCUR``, ``src/pretrain/pretrain_mm.py`` and
``src/pretrain/utils/convert_backbone.py``):

- the full training checkpoint ``{'epoch', 'model', 'optimizer'}`` whose ``model`` is the state
  dict of the DDP-wrapped ``DeCUR`` module: ``module.backbone_1.*`` (S1) and
  ``module.backbone_2.*`` (S2, torchvision ResNet names, ``fc`` an identity),
  ``module.projector1.{3i, 3i+1}.*`` (linear ``i`` and its BatchNorm), ``module.projector2.*``
  (the same tensors: both projectors are one module) and ``module.bn.*`` (the affine-free
  standardization, buffers only);
- a backbone-only state dict (the released ``rn50_ssl4eo-s12_{sar,ms}_decur_ep100.pth``, and
  torchgeo's ``ResNet50_Weights.SENTINEL1_GRD_DECUR`` / ``SENTINEL2_ALL_DECUR`` files, which are
  the same tensors): torchvision ResNet names without a prefix.

eossl's ``EOResNet`` (mmpretrain's ResNet) uses torchvision's ResNet names, so backbones only
lose their prefix; the projector's ``nn.Sequential`` indices become ``mmpretrain.NonLinearNeck``
names (``fc{i}``, ``bn{i}``). A key outside these layouts is an error naming it.
"""
import re
from collections import OrderedDict
from collections.abc import Mapping

import torch

from eossl.checkpoints.softcon_layout import RESNET_KEY

StateDict = Mapping[str, torch.Tensor]
BACKBONES = {'s1': 'backbone_1.', 's2': 'backbone_2.'}
PROJECTOR = re.compile(r'^projector([12])\.(\d+)\.(weight|bias|running_mean|running_var|'
                       r'num_batches_tracked)$')
STANDARDIZATION = re.compile(r'^bn\.(running_mean|running_var|num_batches_tracked)$')


def model_state(checkpoint: Mapping) -> OrderedDict:
    """The DeCUR module's state dict of a training checkpoint or a bare state dict, with DDP's
    ``module.`` prefix removed."""
    state = checkpoint['model'] if 'model' in checkpoint else checkpoint
    if not isinstance(state, Mapping):
        raise ValueError(f"DeCUR checkpoint: 'model' must be a state dict, got "
                         f'{type(state).__name__}')
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                       for k, v in state.items())


def _check_resnet(state: StateDict, where: str) -> None:
    unknown = sorted(k for k in state if not RESNET_KEY.match(k))
    if unknown or 'conv1.weight' not in state:
        raise ValueError(f'{where}: not a torchvision ResNet backbone state dict; unexpected '
                         f'keys {unknown[:8]}{" …" if len(unknown) > 8 else ""}')


def backbone_state(checkpoint: Mapping, modality: str) -> OrderedDict:
    """The ``'s1'`` or ``'s2'`` backbone of an official checkpoint as an ``EOResNet`` state dict.

    A backbone-only file (released or torchgeo) is returned as it is (a classifier ``fc.*``
    dropped), whatever ``modality`` says; check its ``conv1`` width against your bands.
    """
    if modality not in BACKBONES:
        raise ValueError(f"DeCUR checkpoint: modality must be 's1' or 's2', got {modality!r}")
    state = model_state(checkpoint)
    if any(k.startswith(tuple(BACKBONES.values())) for k in state):
        prefix = BACKBONES[modality]
        backbone = OrderedDict((k[len(prefix):], v) for k, v in state.items()
                               if k.startswith(prefix))
    else:
        backbone = OrderedDict((k, v) for k, v in state.items() if not k.startswith('fc.'))
    _check_resnet(backbone, f'DeCUR checkpoint ({modality} backbone)')
    return backbone


def _neck_key(index: int, name: str) -> str:
    """``nn.Sequential`` index of the official projector → ``NonLinearNeck`` attribute."""
    layer, kind = divmod(index, 3)
    if kind == 2:
        raise ValueError(f'DeCUR checkpoint: projector index {index} is a ReLU, which has no '
                         'parameters')
    return f"{'fc' if kind == 0 else 'bn'}{layer}.{name}"


def decur_to_eossl(checkpoint: Mapping) -> OrderedDict:
    """A full official DeCUR checkpoint → the state dict of an eossl ``DeCUR`` model.

    Keys: ``s1_backbone.*``, ``s2_backbone.*``, ``s1_neck.*`` and ``s2_neck.*`` (the same
    tensors when the official projectors are shared, as they always are in its code).

    Raises:
        ValueError: a key outside the official layout, or a missing backbone / projector.
    """
    state = model_state(checkpoint)
    if not any(PROJECTOR.match(k) for k in state) or \
            not all(any(k.startswith(p) for k in state) for p in BACKBONES.values()):
        raise ValueError('DeCUR checkpoint: no backbone_1.* / backbone_2.* / projector1.* keys '
                         'of a training checkpoint; a backbone-only file converts with '
                         'backbone_state()')
    out: OrderedDict = OrderedDict()
    for modality in BACKBONES:
        out.update((f'{modality}_backbone.{k}', v)
                   for k, v in backbone_state(state, modality).items())
    for key, value in state.items():
        match = PROJECTOR.match(key)
        if match:
            neck = 's1_neck' if match.group(1) == '1' else 's2_neck'
            out[f'{neck}.{_neck_key(int(match.group(2)), match.group(3))}'] = value
        elif not (key.startswith(tuple(BACKBONES.values())) or STANDARDIZATION.match(key)):
            raise ValueError(f'DeCUR checkpoint: key {key!r} is outside the official DeCUR '
                             'layout (backbone_1/2, projector1/2, bn)')
    return out
