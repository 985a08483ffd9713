"""Resolve ``eossl::<recipe>.py`` in mmengine configs, from a wheel and from an editable checkout.

Why: mmengine (0.10.x) resolves ``pkg::path`` only for the OpenMMLab packages listed in
``mmengine.config.utils.MODULE2PACKAGE``, only for paths with a folder (its pattern is
``\\w*::\\w*/\\w*``, so ``eossl::pera_vits.py`` is refused), only in ``_base_`` lists (not as the
file given to ``Config.fromfile``), and it finds the package through ``pkg_resources``, which
points at ``site-packages/eossl`` for a PEP 660 editable install, where nothing is. eossl ships
its recipes the OpenMMLab way, in ``eossl/.mim/configs/`` (a symlink to ``configs/`` in a
checkout, copied into wheels and sdists), and :func:`install_package_config_lookup` teaches
mmengine to find them there:

- ``'eossl'`` is registered in ``MODULE2PACKAGE`` (so tools that consult it accept it);
- ``Config._get_cfg_path`` resolves ``eossl::<path>`` itself (any path, with or without a
  folder, relative to this package's ``.mim/configs``) and hands other packages to mmengine;
- ``Config.fromfile`` accepts ``eossl::<path>`` as the file name.

Other packages' ``pkg::path`` keep mmengine's behaviour. Remove once mmengine resolves
third-party packages' ``.mim`` configs by module location.
"""
import difflib
import functools
from pathlib import Path

from mmengine.config import Config
from mmengine.config import utils as config_utils

from eossl.supported_versions import MMENGINE, require

PACKAGE = 'eossl'
PREFIX = f'{PACKAGE}::'
CONFIGS_DIR = Path(__file__).resolve().parents[1] / '.mim' / 'configs'


def package_config_path(name: str) -> str:
    """The file of ``eossl::<relative path>`` under ``eossl/.mim/configs``.

    Raises:
        FileNotFoundError: naming the recipe, where it was looked for, and the recipes there.
    """
    relative = name.removeprefix(PREFIX)
    path = CONFIGS_DIR / relative
    if not path.is_file():
        if not CONFIGS_DIR.is_dir():
            raise FileNotFoundError(f'{name}: {CONFIGS_DIR} is missing; in a checkout it is a '
                                    'symlink to configs/ (git clone keeps it), in a wheel the '
                                    'recipes are copied there at build time')
        raise FileNotFoundError(f'{name}: no recipe {relative!r} under {CONFIGS_DIR}'
                                f'{nearest_recipes_hint(relative)}')
    return str(path)


def recipe_names() -> list[str]:
    """Every shipped recipe as its path under ``eossl/.mim/configs`` (no ``_base_`` files)."""
    return sorted(p.relative_to(CONFIGS_DIR).as_posix() for p in CONFIGS_DIR.rglob('*.py')
                  if '_base_' not in p.relative_to(CONFIGS_DIR).parts)


def nearest_recipes_hint(relative: str) -> str:
    """'; did you mean eossl::...?' with the recipes of the same file name, else the closest
    names (by file name and by path), and where to see them all."""
    names = recipe_names()
    same = [n for n in names if Path(n).name == Path(relative).name]
    by_file = {Path(n).name: n for n in names}
    close = same or list(dict.fromkeys(
        [by_file[f] for f in difflib.get_close_matches(Path(relative).name, by_file, n=3,
                                                       cutoff=0.6)]
        + difflib.get_close_matches(relative, names, n=3, cutoff=0.6)))[:3]
    guess = f'; did you mean {" or ".join(PREFIX + n for n in close)}?' if close else ''
    return f'{guess} (eossl-list-recipes lists them all)'


def install_package_config_lookup() -> None:
    """Make mmengine resolve ``eossl::...`` (idempotent; see the module docstring)."""
    if getattr(Config, '_eossl_package_lookup', False):
        return
    require('mmengine Config._get_cfg_path / Config.fromfile (eossl:: recipe lookup)',
            'mmengine', MMENGINE)
    config_utils.MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)

    original_cfg_path = Config._get_cfg_path
    original_fromfile = Config.fromfile

    @functools.wraps(original_cfg_path)
    def _get_cfg_path(cfg_path: str, filename: str) -> tuple[str, str | None]:
        if cfg_path.startswith(PREFIX):
            return package_config_path(cfg_path), PACKAGE
        return original_cfg_path(cfg_path, filename)

    @functools.wraps(original_fromfile)
    def fromfile(filename, *args, **kwargs) -> Config:
        if isinstance(filename, str) and filename.startswith(PREFIX):
            filename = package_config_path(filename)
        return original_fromfile(filename, *args, **kwargs)

    Config._get_cfg_path = staticmethod(_get_cfg_path)
    Config.fromfile = staticmethod(fromfile)
    Config._eossl_package_lookup = True
