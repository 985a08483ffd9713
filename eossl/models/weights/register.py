"""Register an eossl checkpoint under a name, with its recipe's input contract.

The entry's bands, mean and std come from the checkpoint's ``meta`` when it carries them
(``bands``, ``mean``, ``std``, ``input_size``, ``modality``: the input contract eossl writes into
its checkpoints) and otherwise from the recipe through :func:`eossl.apis.init_model`, which also
checks that the checkpoint's backbone loads into the recipe's backbone before anything is
written. The file's sha256 is recorded, so a later change of the file is refused at load time.
"""
from pathlib import Path
from typing import Any

from mmengine.config import Config

from eossl.checkpoints.safe_load import safe_torch_load

from .catalogue import add_registered, file_sha256
from .entry import WeightsEntry


def _backbone_cfg(cfg: Config, modality: str | None) -> dict:
    model = cfg.model
    key = 'backbone' if 'backbone' in model else f'{modality}_backbone'
    if key not in model:
        raise ValueError(f'{cfg.filename}: no model.{key} (Dual-SimCLR recipes: pass '
                         "modality='s1' or 's2')")
    backbone = dict(model[key].to_dict() if hasattr(model[key], 'to_dict') else model[key])
    backbone.pop('init_cfg', None)  # the registered file is the initialisation
    if '.' not in str(backbone['type']):
        backbone['type'] = f'{cfg.get("default_scope", "eossl")}.{backbone["type"]}'
    return backbone


def register_checkpoint(name: str, checkpoint: str | Path, config: str | Path | Config,
                        *, modality: str | None = None, source: str = 'auto',
                        input_size: int | None = None, method: str | None = None,
                        note: str = '') -> WeightsEntry:
    """Add an eossl checkpoint to the catalogue under ``name`` and return its entry.

    Args:
        name: the catalogue name (not an official one).
        checkpoint: an eossl training checkpoint (pretraining or downstream) or a backbone file
            from ``eossl-extract-backbone``.
        config: the recipe it was trained with (path, ``eossl::`` name or Config).
        modality: Dual-SimCLR checkpoints: ``'s1'`` or ``'s2'``.
        source: checkpoints with an EMA teacher: ``'auto'`` (teacher), ``'teacher'``,
            ``'student'``.
        input_size: the image side the weights were trained at; default: the checkpoint's
            ``meta['input_size']``, else the backbone's ``img_size``.
        method: default: the recipe's ``model.type``.
        note: free text shown by ``eossl-list-weights``.

    Raises:
        ValueError: the checkpoint does not fit the recipe, or no input size can be found.
    """
    from eossl.apis.model import init_model, load_config
    cfg = load_config(config)
    path = Path(checkpoint).resolve()
    meta: dict[str, Any] = dict(safe_torch_load(path).get('meta') or {})
    model = init_model(cfg, path, modality=modality, source=source)  # checks that it loads
    backbone = _backbone_cfg(cfg, modality)
    size = input_size or meta.get('input_size') or backbone.get('img_size')
    if size is None:
        raise ValueError(f'{path}: neither meta["input_size"] nor the backbone\'s img_size says '
                         'what image size it was trained at: pass input_size')
    bands = tuple(meta.get('bands') or model.bands)
    mean = meta.get('mean') or model.mean.view(-1).tolist()
    std = meta.get('std') or model.std.view(-1).tolist()
    entry = WeightsEntry(
        name=name, method=method or str(cfg.model['type']).split('.')[-1],
        architecture=f'{backbone["type"].split(".")[-1]} {backbone.get("arch", "")}'.strip(),
        backbone=backbone, bands=bands,
        modality=meta.get('modality') or modality or 'eossl', input_size=int(size),
        mean=tuple(float(v) for v in mean), std=tuple(float(v) for v in std),
        url=None, sha256=file_sha256(path), converter='eossl', path=str(path),
        note=note or f'registered from {cfg.filename}',
        extra={k: v for k, v in (('modality', modality), ('source', source)) if v != 'auto'
               and v is not None})
    add_registered(entry)
    return entry
