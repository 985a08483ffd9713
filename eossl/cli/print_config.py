"""Print a recipe with its ``_base_`` files resolved, or export it as one YAML/JSON/.py file.

``eossl-print-config configs/x.py --out x.yaml`` writes a self-contained
recipe that ``tools/train.py x.yaml`` trains exactly like ``configs/x.py``.
"""
import argparse
import os.path as osp
from typing import Any

import yaml
from mmengine.config import Config

from eossl.cli.launch.overrides import add_cfg_options, load_recipe
from eossl.utils import ensure_parent_dir

EXPORT_FORMATS = ('.yaml', '.yml', '.json', '.py')


def plain(value: Any) -> Any:
    """``value`` with every tuple turned into a list and every dict into a plain ``dict``:
    what a YAML file can hold without ``!!python/tuple`` tags (which ``yaml.safe_load`` and
    most YAML readers refuse). Every eossl component and mmengine setting accepts the lists."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def export(cfg: Config, out: str) -> None:
    """Write ``cfg`` to ``out``: ``.yaml``/``.yml`` as plain YAML (``yaml.safe_load`` reads it),
    ``.json``/``.py`` through mmengine."""
    if out.endswith(('.yaml', '.yml')):
        with open(out, 'w', encoding='utf-8') as file:
            yaml.safe_dump(plain(cfg.to_dict()), file, sort_keys=False)
    else:
        cfg.dump(out)


def main(argv: list[str] | None = None) -> None:
    """Parse options, resolve the recipe, print or export it."""
    parser = argparse.ArgumentParser(description='Print or export a resolved recipe')
    parser.add_argument('config', help='recipe file')
    parser.add_argument('--out', help='write the resolved recipe here (.yaml, .json or .py)')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    cfg = load_recipe(args.config, args.cfg_options)
    if args.out:
        suffix = osp.splitext(args.out)[1]
        if suffix not in EXPORT_FORMATS:
            parser.error(f'--out {args.out}: cannot export as "{suffix}", use one of '
                         f'{", ".join(EXPORT_FORMATS)}')
        export(cfg, ensure_parent_dir(args.out))
        print(f'wrote {args.out}')
    else:
        print(cfg.pretty_text)


if __name__ == '__main__':
    main()
