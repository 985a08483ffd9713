"""Name → local file → verified → converted → loaded.

Where the original file of an entry is looked for, in order:

1. a registered eossl checkpoint: its recorded ``path``;
2. ``<weights dir>/<name>.pth`` (``$EOSSL_WEIGHTS_DIR`` or ``~/.cache/eossl/weights``): a file
   the user placed there by hand (MMEarth's, or any download made elsewhere);
3. hub-hosted entries: the Hugging Face hub cache (``hf_hub_download(local_files_only=True)``,
   so ``HF_HUB_OFFLINE=1`` and a pre-populated cache work).

Only ``download=True`` goes to the network: the hub for hub-hosted entries (into its cache),
``torch.hub.download_url_to_file`` into ``<weights dir>/<name>.pth`` for the others. A file with
a known sha256 is checked before use; without one the entry says the publisher gave none.

``weights://NAME`` is registered with mmengine's ``CheckpointLoader``, so every recipe's
``init_cfg=dict(type='Pretrained', checkpoint='weights://NAME', prefix='backbone.')`` (and
``load_from``) reads a named weight; it gives ``{'state_dict': {'backbone.<key>': ...}, 'meta':
<input contract>}`` — the layout of ``eossl-softcon-to-eossl --prefix backbone.``.
"""
import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any

import torch
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

from eossl.compat import safe_torch_load
from eossl.models.utils.backbone_extraction import extract_backbone, strip_prefix
from eossl.models.utils.softcon_checkpoint import softcon_to_eossl

from .catalogue import file_sha256, get_weights, weights_dir
from .entry import WeightsEntry

SCHEME = 'weights://'
_VERIFIED: dict[tuple[str, float, int], str] = {}


class WeightsNotFoundError(FileNotFoundError):
    """The original file of a named weight is not on this machine (and no download was asked)."""


def _hub_file(entry: WeightsEntry, download: bool) -> Path | None:
    """The entry's file from the hub cache (or the hub itself when ``download``)."""
    try:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError as err:
        if download:
            raise ImportError(f'weights {entry.name!r}: download=True needs huggingface_hub '
                              "(pip install 'eossl[hub]')") from err
        return None
    try:
        return Path(hf_hub_download(entry.hf_repo, entry.hf_filename,
                                    local_files_only=not download))
    except LocalEntryNotFoundError:
        return None


def locate(entry: WeightsEntry, download: bool = False) -> Path:
    """The local original file of ``entry`` (see the module docstring for the search order).

    Raises:
        WeightsNotFoundError: not on this machine and ``download`` is False (the message says
            where it is published and how to fetch it).
    """
    if entry.path is not None:
        if not Path(entry.path).is_file():
            raise WeightsNotFoundError(f'weights {entry.name!r}: the registered file '
                                       f'{entry.path} is missing')
        return Path(entry.path)
    placed = weights_dir() / f'{entry.name}.pth'
    if placed.is_file():
        return placed
    if entry.hf_repo is not None:
        found = _hub_file(entry, download)
        if found is not None:
            return found
    elif download and entry.downloadable:
        placed.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(entry.url, str(placed), progress=True)
        return placed
    how = ('pass download=True (eossl-list-weights --download NAME)' if entry.downloadable else
           f'download it by hand and save it as {placed}')
    raise WeightsNotFoundError(f'weights {entry.name!r} are not on this machine (looked in '
                               f'{placed} and the Hugging Face hub cache); published at '
                               f'{entry.url}: {how}')


def verify(entry: WeightsEntry, path: Path) -> str:
    """Check ``path`` against ``entry.sha256``; returns the file's digest.

    Raises:
        ValueError: the digest differs (naming the file, both digests and what to do).
    """
    stat = path.stat()
    key = (str(path), stat.st_mtime, stat.st_size)
    digest = _VERIFIED.get(key) or file_sha256(path)
    _VERIFIED[key] = digest
    if entry.sha256 is None:
        print_log(f'weights {entry.name!r}: the publisher gives no sha256; {path} has {digest}',
                  logger='current', level=logging.INFO)
    elif digest != entry.sha256:
        raise ValueError(f'weights {entry.name!r}: {path} has sha256 {digest}, expected '
                         f'{entry.sha256}: the file is corrupt or not the published one; '
                         'delete it and fetch it again')
    return digest


def convert(entry: WeightsEntry, path: Path) -> OrderedDict:
    """The original file → an eossl backbone state dict (no prefix) by ``entry.converter``."""
    from .official import METHOD_CONVERTERS
    if entry.converter in METHOD_CONVERTERS:
        return METHOD_CONVERTERS[entry.converter](path)
    checkpoint = safe_torch_load(path)
    if entry.converter == 'dinov2':  # DINOv2 / torchvision key names
        return softcon_to_eossl(checkpoint)
    state, _ = extract_backbone(checkpoint, modality=entry.extra.get('modality'),
                                source=entry.extra.get('source', 'auto'))
    return strip_prefix(state, 'backbone.')


def load_weights(name: str, download: bool = False) -> OrderedDict:
    """The eossl backbone state dict of the named weights (located, verified, converted)."""
    entry = get_weights(name)
    path = locate(entry, download)
    verify(entry, path)
    return convert(entry, path)


def build_backbone(name: str, download: bool = False, **overrides: Any) -> nn.Module:
    """The entry's eossl backbone with the named weights loaded strictly.

    Args:
        name: catalogue name.
        download: fetch the file when it is not on this machine.
        overrides: backbone config overrides (e.g. ``out_type='featmap'``, ``out_indices``).
    """
    from eossl.registry import MODELS
    entry = get_weights(name)
    backbone = MODELS.build({**entry.backbone, **overrides})
    state = load_weights(name, download)
    try:
        backbone.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ValueError(f'weights {name!r}: the converted state dict does not fit its backbone '
                         f'{entry.backbone["type"]}: {err}') from err
    return backbone


def weights_checkpoint(name: str, download: bool = False) -> dict:
    """``{'state_dict': {'backbone.<key>': tensor}, 'meta': <input contract + source>}``."""
    entry = get_weights(name)
    state = load_weights(name, download)
    meta = dict(entry.input_contract(), weights=entry.name, method=entry.method,
                backbone=dict(entry.backbone))
    return {'state_dict': OrderedDict((f'backbone.{k}', v) for k, v in state.items()),
            'meta': meta}


def load_from_weights_scheme(filename: str, map_location: Any = None) -> dict:
    """mmengine ``CheckpointLoader`` loader for ``weights://NAME`` (never downloads)."""
    checkpoint = weights_checkpoint(filename[len(SCHEME):])
    if map_location is not None:
        checkpoint['state_dict'] = OrderedDict(
            (k, v.to(map_location)) for k, v in checkpoint['state_dict'].items())
    return checkpoint


def install_weights_scheme() -> None:
    """Register ``weights://`` with mmengine's ``CheckpointLoader`` (idempotent)."""
    CheckpointLoader.register_scheme(prefixes=SCHEME, loader=load_from_weights_scheme, force=True)
