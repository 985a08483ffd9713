"""DeCUR's released ResNet-50 backbones by name, and their converter.

Source: ``zhu-xlab/DeCUR`` README "Pretrained models" (SSL4EO-S12, no deformable attention):
``rn50_ssl4eo-s12_sar_decur_ep100.pth`` (S1 VV/VH) and ``rn50_ssl4eo-s12_ms_decur_ep100.pth``
(S2 L1C, 13 bands) on the Hugging Face hub (``wangyi111/DeCUR``); torchgeo republishes the same
tensors as ``ResNet50_Weights.SENTINEL1_GRD_DECUR`` / ``SENTINEL2_ALL_DECUR``
(``torchgeo/decur``). No sha256 is published.

Input: DeCUR pretrained on bands scaled from ``[mean − 2·std, mean + 2·std]`` (SSL4EO-S12
statistics) to [0, 1] (its uint8 files / 255): ``(x − mean′) / std′`` with ``mean′ = mean −
2·std`` and ``std′ = 4·std``, then clipped to [0, 1] (``TwoSigmaScale``).
"""
from collections import OrderedDict
from pathlib import Path

from eossl.checkpoints.safe_load import safe_torch_load
from eossl.datasets.bands import band_names, band_stats
from eossl.models.utils.decur_checkpoint import backbone_state, model_state

from .entry import WeightsEntry

_HF = 'wangyi111/DeCUR'
_NOTE = ('DeCUR pretraining input: each band clip((x - (mean - 2 std)) / (4 std), 0, 1) with '
         'SSL4EO-S12 statistics (mean/std here are mean - 2 std and 4 std; add the clip, e.g. '
         'TwoSigmaScale); torchgeo documents z-scored S1 and S2 / 10000 for the same files')


def _entry(modality: str, tag: str) -> WeightsEntry:
    bands = band_names(modality)
    mean, std = band_stats('ssl4eo_s12', modality, bands)
    filename = f'rn50_ssl4eo-s12_{tag}_decur_ep100.pth'
    return WeightsEntry(
        name=f'decur_rn50_{"s2" if modality == "s2_l1c" else "s1"}', method='DeCUR',
        architecture='ResNet-50',
        backbone=dict(type='eossl.EOResNet', depth=50, bands=bands, out_indices=(3, )),
        bands=bands, modality=modality, input_size=224,
        mean=tuple(m - 2 * s for m, s in zip(mean, std)), std=tuple(4 * s for s in std),
        url=f'https://huggingface.co/{_HF}/resolve/main/{filename}', sha256=None,
        converter='decur', hf_repo=_HF, hf_filename=filename, note=_NOTE)


WEIGHTS: tuple[WeightsEntry, ...] = (_entry('s1_grd', 'sar'), _entry('s2_l1c', 'ms'))


def convert(path: Path) -> OrderedDict:
    """A released (or torchgeo) DeCUR backbone file → an ``EOResNet`` state dict (no prefix).

    Raises:
        ValueError: the file is a full training checkpoint holding both backbones (convert it
            with :func:`eossl.models.utils.decur_checkpoint.backbone_state` and a modality), or
            not a ResNet backbone.
    """
    checkpoint = safe_torch_load(str(path))
    if any(k.startswith('backbone_') for k in model_state(checkpoint)):
        raise ValueError(f'{path}: a full DeCUR checkpoint with both backbones; pick one with '
                         "eossl.models.utils.decur_checkpoint.backbone_state(checkpoint, 's1' | "
                         "'s2')")
    return backbone_state(checkpoint, 's2')


CONVERTERS = {'decur': convert}
