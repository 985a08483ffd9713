"""The official weights eossl knows by name: SoftCon's six backbones, MMEarth's MP-MAE
encoders and the DINOv2 starts of the SoftCon ViT recipes.

Sources (see ``docs/weights.md``): SoftCon — ``zhu-xlab/softcon`` README "Pretrained models",
hosted on the Hugging Face hub (``wangyi111/softcon``); MMEarth — ``vishalned/MMEarth-train``
README "Model Checkpoints", an ERDA share (not the hub: place the file by hand); DINOv2 —
``facebookresearch/dinov2`` README, ``dl.fbaipublicfiles.com``. None of the publishers gives a
sha256 in its documentation, so every ``sha256`` here is None: the entry says so
(:func:`eossl.models.weights.list_weights` prints "not published") rather than inventing one.
Registered eossl checkpoints get theirs computed at registration.

Statistics: SoftCon's README recommends the SSL4EO-S12 per-band mean/std (its own function maps
mean ± 2·std to [0, 255]); MMEarth normalises with the per-band statistics of its dataset files
(``_band_stats.json``), which are not published separately, so those entries carry none.
"""
from eossl.datasets.bands import band_names, band_stats

from .entry import WeightsEntry

_SOFTCON_HF = 'wangyi111/softcon'
_SOFTCON_URL = f'https://huggingface.co/{_SOFTCON_HF}/resolve/main/'
_SOFTCON_NOTE = ('SoftCon README: normalise with SSL4EO-S12 per-band mean/std (given here); its '
                 'own function maps mean ± 2·std to [0, 255]')
_VIT = dict(type='eossl.EOVisionTransformer', img_size=224, patch_size=14,
            layer_scale_init_value=1e-5, num_register_tokens=0, out_type='cls_token')
_MMEARTH_URL = 'https://sid.erda.dk/sharelink/g23YOnaaTp'
_MMEARTH_BANDS = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B11', 'B12')
_DINOV2_URL = 'https://dl.fbaipublicfiles.com/dinov2/dinov2_{arch}14/dinov2_{arch}14_pretrain.pth'
# ImageNet statistics of torchvision / DINOv2 on 0-255 RGB values
_IMAGENET_MEAN = (123.675, 116.28, 103.53)
_IMAGENET_STD = (58.395, 57.12, 57.375)


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


OFFICIAL_WEIGHTS: tuple[WeightsEntry, ...] = (
    *(_softcon(modality, arch) for modality in ('s2_l1c', 's1_grd')
      for arch in ('rn50', 'vits14', 'vitb14')),
    _mmearth('mmearth_convnextv2-atto_all_112', 'atto',
             'pt-all_mod_atto_1M_128_uncertainty_112-16', 112, 16),
    _mmearth('mmearth_convnextv2-atto_all_56', 'atto',
             'pt-all_mod_atto_1M_64_uncertainty_56-8', 56, 8),
    _mmearth('mmearth_convnextv2-atto_s2_56', 'atto', 'pt-S2_atto_1M_64_uncertainty_56-8', 56, 8),
    _mmearth('mmearth_convnextv2-tiny_all_56', 'tiny',
             'pt-all_mod_tiny_1M_64_uncertainty_56-8', 56, 8),
    _dinov2('vits'),
    _dinov2('vitb'),
)
