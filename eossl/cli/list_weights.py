"""Print the named-weights catalogue; fetch or register an entry.

``eossl-list-weights``                      the table (name, method, architecture, bands, size,
                                            where the file is, sha256)
``eossl-list-weights --json``               every field of every entry, as JSON
``eossl-list-weights --download NAME``      fetch NAME into the hub cache (verified, converted)
``eossl-list-weights --register NAME CKPT --config RECIPE``   add your eossl checkpoint

Nothing touches the network except ``--download``.
"""
import argparse
import json

from eossl.models.weights import (
    WeightsNotFoundError,
    get_weights,
    list_weights,
    load_weights,
    locate,
    register_checkpoint,
)


def _where(entry) -> str:
    try:
        return str(locate(entry))
    except WeightsNotFoundError:
        return 'not here' + (' (--download)' if entry.downloadable else ' (see --json note)')


def _table() -> str:
    rows = [('name', 'method', 'architecture', 'bands', 'size', 'sha256', 'local file')]
    for entry in list_weights():
        bands = f'{entry.modality}:{len(entry.bands)}'
        rows.append((entry.name, entry.method, entry.architecture, bands, str(entry.input_size),
                     entry.sha256[:12] if entry.sha256 else 'not published', _where(entry)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return '\n'.join('  '.join(cell.ljust(w) for cell, w in zip(row, widths)) + '  ' + row[-1]
                     for row in rows)


def main(argv: list[str] | None = None) -> int:
    """Command line; returns the exit status (1 with a one-line message on a bad request)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--json', action='store_true', help='print every field as JSON')
    parser.add_argument('--download', metavar='NAME',
                        help='fetch NAME (Hugging Face hub cache), verify and convert it')
    parser.add_argument('--register', nargs=2, metavar=('NAME', 'CKPT'),
                        help='register an eossl checkpoint under NAME (needs --config)')
    parser.add_argument('--config', help='--register: the recipe the checkpoint was trained with')
    parser.add_argument('--modality', choices=('s1', 's2'), help='--register: Dual-SimCLR')
    parser.add_argument('--input-size', type=int, help='--register: the training image size')
    args = parser.parse_args(argv)
    if args.register:
        if not args.config:
            parser.error('--register needs --config RECIPE')
        entry = register_checkpoint(*args.register, args.config, modality=args.modality,  # type: ignore[misc]
                                    input_size=args.input_size)
        print(f'registered {entry.name!r}: {entry.architecture}, {len(entry.bands)} bands, '
              f'{entry.input_size} px, sha256 {entry.sha256}')
    elif args.download:
        state = load_weights(args.download, download=True)
        print(f'{args.download}: {locate(get_weights(args.download))} '
              f'({len(state)} tensors after conversion)')
    elif args.json:
        print(json.dumps([e.to_dict() for e in list_weights()], indent=2))
    else:
        print(_table())
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
