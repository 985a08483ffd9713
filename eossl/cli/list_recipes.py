"""List the recipes that ship with eossl, by the ``eossl::`` names every command accepts.

``eossl-list-recipes [WORD ...] [--all]``: the pretraining recipes (``--all``: the downstream
benchmark recipes too), one ``eossl::<path>`` per line with the first line of its header
comment; WORDs keep the names containing every one of them (``eossl-list-recipes pera vitb``).
A mistyped ``eossl::`` name anywhere (a command line, ``Config.fromfile``, a ``_base_`` list)
fails with the nearest names and a pointer to this command.
"""
import argparse
from collections.abc import Sequence
from pathlib import Path

from eossl.compat.package_configs import CONFIGS_DIR, PREFIX, recipe_names


def summary(path: Path) -> str:
    """The first comment line of a recipe (what it is), or ''."""
    for line in path.read_text(encoding='utf-8').splitlines():
        if line.startswith('#'):
            return line.lstrip('# ').strip()
        if line.strip():
            break
    return ''


def main(argv: Sequence[str] | None = None) -> list[str]:
    """Print the matching recipes; returns their ``eossl::`` names."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('words', nargs='*', help='keep names containing every word')
    parser.add_argument('--all', action='store_true',
                        help='also the downstream benchmark recipes (benchmarks/...)')
    args = parser.parse_args(argv)
    names = [name for name in recipe_names()
             if (args.all or not name.startswith('benchmarks/'))
             and all(word.lower() in name.lower() for word in args.words)]
    width = max((len(PREFIX + n) for n in names), default=0)
    for name in names:
        print(f'{PREFIX + name:<{width}}  {summary(CONFIGS_DIR / name)}'.rstrip())
    if not names:
        print(f'no recipe matches {" ".join(args.words)!r}'
              + ('' if args.all else ' (--all includes the benchmark recipes)'))
    return [PREFIX + name for name in names]


if __name__ == '__main__':
    main()
