"""MMEarth's official MP-MAE encoders by name (ConvNeXt V2 atto / tiny, FCMAE).

Source: ``vishalned/MMEarth-train`` README "Model Checkpoints", an ERDA share (not the hub: place
the file by hand); no sha256 is published. MMEarth normalises with the per-band statistics of its
dataset files (``_band_stats.json``), which are not published separately, so the entries carry
none.
"""
from collections import OrderedDict
from pathlib import Path

from eossl.checkpoints.backbone_extraction import strip_prefix
from eossl.checkpoints.safe_load import safe_torch_load

from .entry import WeightsEntry

_MMEARTH_URL = 'https://sid.erda.dk/sharelink/g23YOnaaTp'
_MMEARTH_BANDS = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B11', 'B12')


def convert(path: Path) -> OrderedDict:
    """An official MMEarth checkpoint → an eossl backbone state dict (no prefix)."""
    from eossl.cli.mmearth_to_eossl import OFFICIAL_EXTRA_GLOBALS
    from eossl.cli.mmearth_to_eossl import convert as mmearth_convert
    checkpoint = safe_torch_load(path, extra_globals=OFFICIAL_EXTRA_GLOBALS)
    state = mmearth_convert(checkpoint.get('model', checkpoint.get('state_dict', checkpoint)))
    return strip_prefix({k: v for k, v in state.items() if k.startswith('backbone.')},
                        'backbone.')


CONVERTERS = {'mmearth': convert}


def _mmearth(name: str, arch: str, run: str, size: int, patch: int) -> WeightsEntry:
    return WeightsEntry(
        name=name, method='MP-MAE', architecture=f'ConvNeXt V2-{arch} (FCMAE encoder)',
        backbone=dict(type='eossl.ConvNeXtV2FCMAE', arch=arch, in_channels=len(_MMEARTH_BANDS),
                      patch_size=patch, stem_type='mmearth', out_indices=(3, )),
        bands=_MMEARTH_BANDS, modality='s2_l1c', input_size=size, mean=None, std=None,
        url=f'{_MMEARTH_URL} ({run}/checkpoint-199.pth)', sha256=None, converter='mmearth',
        note=f'not on the Hugging Face hub: download {run}/checkpoint-199.pth from the ERDA '
             f'share and save it as <weights dir>/{name}.pth; statistics: MMEarth '
             '_band_stats.json of your data (not published separately)')


WEIGHTS: tuple[WeightsEntry, ...] = (
    _mmearth('mmearth_convnextv2-atto_all_112', 'atto',
             'pt-all_mod_atto_1M_128_uncertainty_112-16', 112, 16),
    _mmearth('mmearth_convnextv2-atto_all_56', 'atto',
             'pt-all_mod_atto_1M_64_uncertainty_56-8', 56, 8),
    _mmearth('mmearth_convnextv2-atto_s2_56', 'atto', 'pt-S2_atto_1M_64_uncertainty_56-8', 56, 8),
    _mmearth('mmearth_convnextv2-tiny_all_56', 'tiny',
             'pt-all_mod_tiny_1M_64_uncertainty_56-8', 56, 8),
)
