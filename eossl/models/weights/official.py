"""The official weights eossl knows by name: every method's (``official_<slug>.py``) and the
DINOv2 starts of the SoftCon ViT recipes.

Each method's module ``official_<slug>.py`` declares ``WEIGHTS`` (its entries) and
``CONVERTERS`` (``{converter name: (path of the original file) → eossl backbone state dict}``);
this module finds them (:func:`method_modules`), so a method's weights are a new file. Sources
are in each module and ``docs/weights.md``; DINOv2 — ``facebookresearch/dinov2`` README,
``dl.fbaipublicfiles.com``. None of the publishers gives a sha256 in its documentation, so every
``sha256`` is None: the entry says so (:func:`eossl.models.weights.list_weights` prints "not
published") rather than inventing one. Registered eossl checkpoints get theirs computed at
registration.
"""
import importlib
import pkgutil
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from .entry import GENERIC_CONVERTERS, WeightsEntry

_VIT = dict(type='eossl.EOVisionTransformer', img_size=224, patch_size=14,
            layer_scale_init_value=1e-5, num_register_tokens=0, out_type='cls_token')
_DINOV2_URL = 'https://dl.fbaipublicfiles.com/dinov2/dinov2_{arch}14/dinov2_{arch}14_pretrain.pth'
# ImageNet statistics of torchvision / DINOv2 on 0-255 RGB values
_IMAGENET_MEAN = (123.675, 116.28, 103.53)
_IMAGENET_STD = (58.395, 57.12, 57.375)


def method_modules() -> list[ModuleType]:
    """Every ``official_<slug>.py`` module of this package, by name."""
    found = pkgutil.iter_modules([str(Path(__file__).parent)])
    return [importlib.import_module(f'{__package__}.{info.name}')
            for info in sorted(found, key=lambda m: m.name)
            if info.name.startswith('official_')]


def _dinov2(arch: str) -> WeightsEntry:
    return WeightsEntry(
        name=f'dinov2_{arch}14', method='DINOv2', architecture=f'ViT-{arch[3].upper()}/14',
        backbone=dict(_VIT, arch='small' if arch == 'vits' else 'base', img_size=518,
                      bands=('B4', 'B3', 'B2')),
        bands=('B4', 'B3', 'B2'), modality='rgb', input_size=518, mean=_IMAGENET_MEAN,
        std=_IMAGENET_STD, url=_DINOV2_URL.format(arch=arch), sha256=None, converter='dinov2',
        direct_download=True,
        note='RGB (red, green, blue as S2 B4 B3 B2); the RGB start of the SoftCon ViT recipes '
             '(init_cfg RGBInflatedPretrained)')


def _collect() -> tuple[tuple[WeightsEntry, ...], dict[str, Callable[[Path], OrderedDict]]]:
    """Every method's entries then DINOv2's, and every method's converters, checked."""
    entries: list[WeightsEntry] = []
    converters: dict[str, Callable[[Path], OrderedDict]] = {}
    for module in method_modules():
        clash = set(converters) & set(module.CONVERTERS) | \
            set(GENERIC_CONVERTERS) & set(module.CONVERTERS)
        if clash:
            raise RuntimeError(f'{module.__name__}: converter names {sorted(clash)} are taken')
        converters.update(module.CONVERTERS)
        entries += module.WEIGHTS
    entries += [_dinov2('vits'), _dinov2('vitb')]
    for entry in entries:
        if entry.converter not in (*GENERIC_CONVERTERS, *converters):
            raise ValueError(f'weights {entry.name!r}: converter {entry.converter!r} is not one '
                             f'of {(*GENERIC_CONVERTERS, *converters)}')
    return tuple(entries), converters


OFFICIAL_WEIGHTS, METHOD_CONVERTERS = _collect()
