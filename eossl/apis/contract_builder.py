"""Build a recipe's :class:`~eossl.apis.contract.InputContract` from what training used.

Sources, in the order the training data meets them:

1. the loading step of ``train_dataloader.dataset.pipeline`` names the bands (MMEarth's
   :class:`LoadMMEarthSample` also z-scores with the dataset's ``_band_stats.json``: the
   statistics of the file actually read, per S2 product);
2. value rules of the pipeline on the encoder's key (:class:`ClipValues`,
   :class:`PerSampleMaxNormalize`), applied per image;
3. the model's data preprocessor: per-band mean/std buffers (identity when it has none).

The training hook passes the built preprocessor and the dataset's parsed statistics; for a
checkpoint from before contracts, ``eossl-predict-scene … --stats FILE`` passes the file.
"""
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mmengine.config import Config
from mmengine.registry import MODELS
from torch import nn

from eossl.datasets.bands import resolve_band_order, split_spec, stored_band_order
from eossl.datasets.mmearth_layout import MODALITIES
from eossl.registry import TRANSFORMS

from .contract import ContractError, EncoderContract, InputContract

VALUE_RULES = ('ClipValues', 'PerSampleMaxNormalize')
LOADERS = ('LoadMMEarthSample', 'LoadMultiBandImage', 'LoadPairedModalities')


def _type(step: Mapping) -> str:
    kind = step.get('type', '')
    return (kind if isinstance(kind, str) else kind.__name__).split('.')[-1]


def _plain(value):
    """Config values → JSON-able (tuples → lists, ConfigDict → dict)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def encoder_fields(cfg: Config) -> dict[str, tuple[str, str | None]]:
    """``{encoder name: (model field, data key)}``: one backbone, or Dual-SimCLR's two."""
    model = cfg.model
    if 'backbone' in model:
        key = model.get('input_key')
        return {'backbone': ('backbone', key if isinstance(key, str) else None)}
    found = {m: (f'{m}_backbone', m) for m in ('s1', 's2') if f'{m}_backbone' in model}
    if not found:
        raise ContractError(f'{cfg.filename}: model has no backbone (nor s1_backbone / '
                            's2_backbone)')
    return found


def _pipeline(cfg: Config) -> list:
    loader = cfg.get('train_dataloader') or {}
    return list((loader.get('dataset') or {}).get('pipeline') or [])


def _loader_bands(cfg: Config, data_key: str | None) -> tuple[tuple[str, ...] | None, Any]:
    """``(bands, built MMEarth loader or None)`` of the pipeline's loading step."""
    for step in _pipeline(cfg):
        kind = _type(step)
        if kind == 'LoadMMEarthSample':
            loader = TRANSFORMS.build(dict(step, type='eossl.LoadMMEarthSample'))
            return loader.bands.get(data_key or 'sentinel2'), loader
        if kind == 'LoadPairedModalities' and data_key in (step.get('modalities') or {}):
            bands = step['modalities'][data_key].get('bands')
            return (resolve_band_order(bands) if bands else None), None
    return None, None


def encoder_bands(cfg: Config, backbone: Mapping) -> tuple[str, ...] | None:
    """Bands (model order) a recipe names for ``backbone``: the preprocessor's ``bands``, its
    ``stats`` source's stored order, else the backbone's ``bands``; None when none is named."""
    pre = cfg.model.get('data_preprocessor') or {}
    if pre.get('bands') and not isinstance(pre['bands'], Mapping):
        return resolve_band_order(pre['bands'])
    if isinstance(pre.get('stats'), str) and ':' in pre['stats']:
        return stored_band_order(*split_spec(pre['stats']))
    return resolve_band_order(backbone['bands']) if backbone.get('bands') else None


def _value_rules(cfg: Config, data_key: str | None) -> list[dict]:
    """The pipeline's per-image value rules on the encoder's key, without their ``keys``."""
    rules = []
    for step in _pipeline(cfg):
        if _type(step) not in VALUE_RULES:
            continue
        keys = step.get('keys', 'img')
        keys = [keys] if isinstance(keys, str) else list(keys)
        if (data_key or 'img') in keys:
            rules.append(_plain({k: v for k, v in step.items() if k != 'keys'}))
    return rules


def _preprocessor_stats(pre: nn.Module | None, name: str) -> tuple[list, list] | None:
    if pre is None:
        return None
    for m, s in ((f'mean_{name}', f'std_{name}'), ('mean', 'std'), ('band_mean', 'band_std')):
        mean, std = getattr(pre, m, None), getattr(pre, s, None)
        if mean is not None and std is not None and hasattr(mean, 'view'):
            return mean.detach().cpu().view(-1).tolist(), std.detach().cpu().view(-1).tolist()
    return None


def _mmearth_stats(loader, data_key: str, band_stats: Mapping | None,
                   stats_file: str) -> dict[str, dict[str, list[float]]]:
    """Per S2 product ``{'l1c': {mean, std}, …}`` of the loader's bands, from the stats JSON."""
    if band_stats is None:
        raise ContractError('the recipe z-scores with its dataset\'s _band_stats.json, which the '
                            'checkpoint does not carry (trained before input contracts): pass '
                            '--stats FILE (stats_file= in eossl.apis.init_model), the '
                            '_band_stats.json of the data it was trained on')
    idx = loader.band_index[data_key]
    key = MODALITIES[data_key].stats_key
    prefixes = [k for k in band_stats if k.startswith(f'{key}_')] if data_key == 'sentinel2' \
        else [key]
    out = {}
    for stats_key in prefixes:
        entry = band_stats[stats_key]
        if not {'mean', 'std'} <= set(entry):
            raise ContractError(f'{stats_file}: "{stats_key}" has no mean/std lists')
        product = stats_key[len(key) + 1:] if data_key == 'sentinel2' else ''
        out[product] = {'mean': [float(entry['mean'][i]) for i in idx],
                        'std': [float(entry['std'][i]) for i in idx]}
    if not out:
        raise ContractError(f'{stats_file}: no "{key}" statistics (keys: {sorted(band_stats)})')
    return out


def read_band_stats(path: str | Path) -> dict:
    """A ``_band_stats.json`` file (``{key: {mean, std, …}}``) with a clear error."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: statistics file not found')
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ContractError(f'{path}: not valid JSON ({err})') from err


def _compose(inner: dict[str, list[float]], pre: tuple[list, list] | None) -> dict:
    """z-score ``inner`` then the preprocessor's ``(x − m)/s``, as one mean/std."""
    if pre is None:
        return inner
    m2, s2 = pre
    return {'mean': [m1 + a * s1 for m1, s1, a in zip(inner['mean'], inner['std'], m2)],
            'std': [s1 * b for s1, b in zip(inner['std'], s2)]}


def contract_from_config(cfg: Config, preprocessor: nn.Module | None = None,
                         band_stats: Mapping | None = None,
                         stats_file: str = '_band_stats.json') -> InputContract:
    """The contract of a recipe (see the module docstring).

    Args:
        cfg: the resolved recipe (presets and overrides applied).
        preprocessor: the built ``model.data_preprocessor``; built from the recipe when None.
        band_stats: the parsed statistics file the dataset normalizes with (MMEarth).
        stats_file: its name, for messages and ``stats_source``.
    """
    if preprocessor is None and cfg.model.get('data_preprocessor') is not None:
        preprocessor = MODELS.build(cfg.model.data_preprocessor)
    encoders = {}
    for name, (field_name, data_key) in encoder_fields(cfg).items():
        backbone = cfg.model[field_name]
        bands, mmearth = _loader_bands(cfg, data_key)
        bands = bands or encoder_bands(cfg, backbone)
        if not bands:
            raise ContractError(f'{cfg.filename}: cannot tell which bands {field_name} expects: '
                                'set model.data_preprocessor.bands or its bands')
        pre = _preprocessor_stats(preprocessor, name)
        products, source = {}, f'recipe ({cfg.filename})'
        if mmearth is not None and mmearth.normalize:
            products = {k: _compose(v, pre) for k, v in
                        _mmearth_stats(mmearth, data_key or 'sentinel2', band_stats,
                                       stats_file).items()}
            stats, source = next(iter(products.values())), stats_file
            products = products if len(products) > 1 else {}
        elif pre is not None:
            stats = {'mean': pre[0], 'std': pre[1]}
        else:
            stats = {'mean': [0.0] * len(bands), 'std': [1.0] * len(bands)}
            source = 'none: the encoder saw raw values (after value_transforms)'
        if len(stats['mean']) != len(bands):
            raise ContractError(f'{cfg.filename}: {field_name} has {len(bands)} bands {bands} '
                                f'but {len(stats["mean"])} means')
        patch = backbone.get('patch_size')
        size = backbone.get('img_size')
        encoders[name] = EncoderContract(
            backbone_key=field_name, backbone=_plain(backbone), bands=list(bands),
            mean=[float(v) for v in stats['mean']], std=[float(v) for v in stats['std']],
            value_transforms=_value_rules(cfg, data_key), product_stats=products,
            stats_source=source, input_size=size if isinstance(size, int) else None,
            patch_size=patch if isinstance(patch, int) else None)
    method = str(cfg.model.get('type', '')).split('.')[-1]
    return InputContract(method=method, encoders=encoders)
