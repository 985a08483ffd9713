"""The catalogue: official entries plus the eossl checkpoints a user registered.

Registered entries live in ``<weights dir>/registered.json`` (one JSON object per name), where the
weights dir is ``$EOSSL_WEIGHTS_DIR`` or ``~/.cache/eossl/weights``. Official names cannot be
re-registered; a registered name replaces an earlier registration of the same name.
"""
import hashlib
import json
import os
from pathlib import Path

from .entry import WeightsEntry
from .official import OFFICIAL_WEIGHTS

WEIGHTS_DIR_ENV = 'EOSSL_WEIGHTS_DIR'
REGISTRY_FILE = 'registered.json'


def weights_dir() -> Path:
    """Where manually placed originals and the registry live (not created here)."""
    return Path(os.environ.get(WEIGHTS_DIR_ENV) or Path.home() / '.cache' / 'eossl' / 'weights')


def _registry_path() -> Path:
    return weights_dir() / REGISTRY_FILE


def registered_weights() -> dict[str, WeightsEntry]:
    """The user's registered entries by name (empty when nothing was registered).

    Raises:
        ValueError: the registry file is not valid JSON of entries (naming the file).
    """
    path = _registry_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f'{path}: not valid JSON ({err}); fix or delete it') from err
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a JSON object of name -> entry')
    return {name: WeightsEntry.from_dict(entry, str(path)) for name, entry in data.items()}


def list_weights() -> list[WeightsEntry]:
    """Every entry: official ones first, then the registered ones by name."""
    registered = registered_weights()
    return [*OFFICIAL_WEIGHTS, *(registered[name] for name in sorted(registered))]


def get_weights(name: str) -> WeightsEntry:
    """The entry called ``name``.

    Raises:
        KeyError: an unknown name; the message lists the known ones.
    """
    for entry in list_weights():
        if entry.name == name:
            return entry
    known = ', '.join(e.name for e in list_weights())
    raise KeyError(f'no weights named {name!r}; known: {known} (eossl-list-weights prints them, '
                   'eossl-list-weights --register adds yours)')


def is_weights_name(value: object) -> bool:
    """True when ``value`` is a catalogue name (and not an existing path)."""
    if not isinstance(value, str) or os.path.exists(value) or '/' in value or ':' in value:
        return False
    return any(entry.name == value for entry in list_weights())


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with open(path, 'rb') as stream:
        for piece in iter(lambda: stream.read(1 << 20), b''):
            digest.update(piece)
    return digest.hexdigest()


def add_registered(entry: WeightsEntry) -> Path:
    """Write ``entry`` into the registry file; returns the file.

    Raises:
        ValueError: ``entry.name`` is an official name.
    """
    if any(official.name == entry.name for official in OFFICIAL_WEIGHTS):
        raise ValueError(f'{entry.name!r} is an official weights name; register under another')
    registered = {name: e.to_dict() for name, e in registered_weights().items()}
    registered[entry.name] = entry.to_dict()
    path = _registry_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix('.json.tmp')
    tmp.write_text(json.dumps(registered, indent=2, sort_keys=True))
    tmp.replace(path)
    return path
