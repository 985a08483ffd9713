"""Official SoftCon backbone checkpoints ↔ eossl backbone state dicts.

The released SoftCon weights (``zhu-xlab/softcon``: ``B13_*`` for 13-band S2 L1C, ``B2_*`` for
S1 VV/VH) are backbone-only state dicts:

- ViT-S/14, ViT-B/14: DINOv2's ``vision_transformer`` names — ``cls_token``, ``pos_embed``
  (1, 257, D), ``mask_token``, ``patch_embed.proj.*``, ``blocks.{i}.{norm1, attn.qkv,
  attn.proj, ls1.gamma, norm2, mlp.fc1, mlp.fc2, ls2.gamma}.*``, ``norm.*``. DINOv2 training
  checkpoints may chunk the blocks (``blocks.{chunk}.{i}.*``, ``i`` counting globally).
- ResNet-50: torchvision's names with the classifier replaced by an identity (no ``fc.*``).

:class:`~eossl.models.backbones.EOVisionTransformer` uses DINOv2's names and
:class:`~eossl.models.backbones.EOResNet` (mmpretrain's ResNet) uses torchvision's, so the
conversion is mostly a strict check of the layout; it un-chunks blocks, drops a classifier and
moves between a bare backbone and an eossl training checkpoint (``state_dict`` with a
``backbone.`` prefix). Any key outside the known layout is an error naming it.
"""
import re
from collections import OrderedDict
from collections.abc import Mapping

import torch

VIT_KEY = re.compile(
    r'^(cls_token|pos_embed|mask_token|register_tokens|patch_embed\.proj\.(weight|bias)|'
    r'norm\.(weight|bias)|blocks\.\d+\.((norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)'
    r'\.(weight|bias)|ls[12]\.gamma))$')
_BN = r'(weight|bias|running_mean|running_var|num_batches_tracked)'
RESNET_KEY = re.compile(
    rf'^(conv1\.weight|bn1\.{_BN}|layer[1-4]\.\d+\.(conv[1-3]\.weight|bn[1-3]\.{_BN}|'
    rf'downsample\.0\.weight|downsample\.1\.{_BN}))$')
CHUNKED_BLOCK = re.compile(r'^blocks\.\d+\.(\d+)\.')
VIT_REQUIRED = ('cls_token', 'pos_embed', 'patch_embed.proj.weight', 'norm.weight')
RESNET_REQUIRED = ('conv1.weight', 'bn1.weight', 'layer4.0.conv1.weight')
StateDict = Mapping[str, torch.Tensor]


def detect_arch(state: StateDict) -> str:
    """``'vit'`` or ``'resnet'`` from the keys of a backbone state dict."""
    if all(k in state for k in VIT_REQUIRED):
        return 'vit'
    if all(k in state for k in RESNET_REQUIRED):
        return 'resnet'
    raise ValueError(f'not a SoftCon/eossl backbone state dict: expected the ViT keys '
                     f'{VIT_REQUIRED} or the ResNet keys {RESNET_REQUIRED}; found '
                     f'{sorted(state)[:6]} … ({len(state)} keys)')


def _check_layout(state: StateDict, arch: str, where: str) -> None:
    """ValueError listing the keys that are not part of the ``arch`` layout."""
    pattern = VIT_KEY if arch == 'vit' else RESNET_KEY
    unknown = sorted(k for k in state if not pattern.match(k))
    if unknown:
        more = f' (+{len(unknown) - 8} more)' if len(unknown) > 8 else ''
        raise ValueError(f'{where}: keys outside the {arch} backbone layout: '
                         f'{", ".join(unknown[:8])}{more}')


def _unchunk(key: str) -> str:
    """``blocks.{chunk}.{i}.rest`` → ``blocks.{i}.rest`` (DINOv2 BlockChunk layout)."""
    match = CHUNKED_BLOCK.match(key)
    return f'blocks.{match.group(1)}.{key[match.end():]}' if match else key


def softcon_to_eossl(state: StateDict) -> OrderedDict:
    """An official SoftCon backbone state dict → an eossl backbone state dict (no prefix).

    ViT: chunked blocks are un-chunked; ResNet: a classifier (``fc.*``) is dropped.

    Raises:
        ValueError: not a ViT/ResNet backbone, or keys outside its layout (named).
    """
    if 'cls_token' in state:
        converted = OrderedDict((_unchunk(k), v) for k, v in state.items())
    else:
        converted = OrderedDict((k, v) for k, v in state.items() if not k.startswith('fc.'))
    arch = detect_arch(converted)
    _check_layout(converted, arch, 'softcon_to_eossl')
    return converted


def eossl_to_softcon(state: StateDict, prefix: str = 'backbone.') -> OrderedDict:
    """An eossl checkpoint (SoftCon run or bare backbone) → the official backbone state dict.

    A ``{'state_dict': ...}`` wrapper is unwrapped; when any key starts with ``prefix`` only
    those keys are kept (the algorithm's neck and head are not part of the released weights).

    Raises:
        ValueError: register tokens (official SoftCon ViTs have none), or keys outside the
            backbone layout.
    """
    if isinstance(state.get('state_dict'), Mapping):
        state = state['state_dict']
    if prefix and any(k.startswith(prefix) for k in state):
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    converted = OrderedDict(state)
    arch = detect_arch(converted)
    if 'register_tokens' in converted:
        raise ValueError('eossl_to_softcon: the backbone has register tokens, which the official '
                         'SoftCon ViTs (num_register_tokens=0) cannot load')
    _check_layout(converted, arch, 'eossl_to_softcon')
    return converted
