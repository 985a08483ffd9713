"""SoftCon's official weights by name: six backbones (ResNet-50, ViT-S/14, ViT-B/14; S2 L1C, S1).

Source: ``zhu-xlab/softcon`` README "Pretrained models", hosted on the Hugging Face hub
(``wangyi111/softcon``); no sha256 is published. Statistics: the README recommends the SSL4EO-S12
per-band mean/std (its own function maps mean ± 2·std to [0, 255]). The files use DINOv2 /
torchvision key names (:func:`~eossl.checkpoints.softcon_layout.softcon_to_eossl`).
"""
from collections import OrderedDict
from pathlib import Path

from eossl.checkpoints.safe_load import safe_torch_load
from eossl.checkpoints.softcon_layout import softcon_to_eossl
from eossl.datasets.bands import band_names, band_stats

from .entry import WeightsEntry

_SOFTCON_HF = 'wangyi111/softcon'
_SOFTCON_URL = f'https://huggingface.co/{_SOFTCON_HF}/resolve/main/'
_SOFTCON_NOTE = ('SoftCon README: normalise with SSL4EO-S12 per-band mean/std (given here); its '
                 'own function maps mean ± 2·std to [0, 255]')
_VIT = dict(type='eossl.EOVisionTransformer', img_size=224, patch_size=14,
            layer_scale_init_value=1e-5, num_register_tokens=0, out_type='cls_token')


def convert(path: Path) -> OrderedDict:
    """An official SoftCon file → an eossl backbone state dict (no prefix)."""
    return softcon_to_eossl(safe_torch_load(path))


CONVERTERS = {'softcon': convert}


def _softcon(modality: str, arch: str) -> WeightsEntry:
    bands = band_names(modality)
    mean, std = band_stats('ssl4eo_s12', modality, bands)
    prefix = 'B13' if modality == 's2_l1c' else 'B2'
    filename = f'{prefix}_{arch}_softcon.pth'
    if arch == 'rn50':
        backbone = dict(type='eossl.EOResNet', depth=50, bands=bands, out_indices=(3, ))
        architecture = 'ResNet-50'
    else:
        backbone = dict(_VIT, arch='small' if arch == 'vits14' else 'base', bands=bands)
        architecture = 'ViT-S/14' if arch == 'vits14' else 'ViT-B/14'
    return WeightsEntry(
        name=f'softcon_{arch}_{"s2" if modality == "s2_l1c" else "s1"}', method='SoftCon',
        architecture=architecture, backbone=backbone, bands=bands, modality=modality,
        input_size=224, mean=tuple(mean), std=tuple(std), url=_SOFTCON_URL + filename,
        sha256=None, converter='softcon', hf_repo=_SOFTCON_HF, hf_filename=filename,
        note=_SOFTCON_NOTE)


WEIGHTS: tuple[WeightsEntry, ...] = tuple(
    _softcon(modality, arch) for modality in ('s2_l1c', 's1_grd')
    for arch in ('rn50', 'vits14', 'vitb14'))
