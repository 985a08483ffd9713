"""Print a recipe with its ``_base_`` files resolved, or export it as one YAML/JSON/.py file.

``python tools/analysis_tools/print_config.py configs/x.py --out x.yaml`` writes a self-contained
recipe that ``tools/train.py x.yaml`` trains exactly like ``configs/x.py``.
"""
import argparse

import os.path as osp

from mmengine.config import Config, DictAction

EXPORT_FORMATS = ('.yaml', '.yml', '.json', '.py')


def main() -> None:
    """Parse options, resolve the recipe, print or export it."""
    parser = argparse.ArgumentParser(description='Print or export a resolved recipe')
    parser.add_argument('config', help='recipe file')
    parser.add_argument('--out', help='write the resolved recipe here (.yaml, .json or .py)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override recipe fields before printing')
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.out:
        suffix = osp.splitext(args.out)[1]
        if suffix not in EXPORT_FORMATS:
            parser.error(f'--out {args.out}: cannot export as "{suffix}", use one of '
                         f'{", ".join(EXPORT_FORMATS)}')
        # YAML/JSON have no tuples: they become lists, which every eossl component accepts.
        cfg.dump(args.out)
        print(f'wrote {args.out}')
    else:
        print(cfg.pretty_text)


if __name__ == '__main__':
    main()
