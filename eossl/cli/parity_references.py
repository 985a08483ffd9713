"""Write the parity reference files from local checkouts of the official repositories.

    python tools/parity/generate_references.py \\
        --pera PATH --mmearth PATH --ssltrs PATH [--pydeps DIR] [--out tests/data/parity]

One option per generator module ``eossl/parity/<slug>.py`` (:func:`eossl.parity.generators`,
its ``CHECKOUT_OPTION``): a git checkout or a bare git repository (extracted with
``git archive``) of its ``OFFICIAL_REPO`` (``SathShen/PerA``, ``vishalned/MMEarth-train``,
``HSG-AIML/SSLTransformerRS``, ...). Their code is imported as it is (CUDA-only imports stubbed,
see :mod:`eossl.parity.official`) and run on seeded inputs; the outputs, with the official
commit, go to ``<out>/<slug>.npz`` (kilobytes each). ``--pydeps`` is a ``pip install
--target`` folder with the official code's dependencies (``timm``, ``kornia==0.7.4``,
``torchmetrics==1.4.0.post0``) kept out of eossl's environment. The tests in
``tests/test_models/test_parity_*.py`` compare eossl against them.
"""
import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options: the official checkouts to read and the output folder."""
    from eossl.parity import generators
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    options = [module.CHECKOUT_OPTION for module in generators().values()]
    for module in generators().values():
        parser.add_argument(f'--{module.CHECKOUT_OPTION}',
                            help=f'checkout or bare repository of {module.OFFICIAL_REPO}')
    parser.add_argument('--pydeps', help='folder with the official code\'s dependencies')
    parser.add_argument('--out', default='tests/data/parity', help='output folder')
    args = parser.parse_args(argv)
    if not any(getattr(args, name) for name in options):
        parser.error('give at least one of ' + ', '.join(f'--{n}' for n in options))
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Write the reference files of every method whose official checkout is given."""
    args = parse_args(argv)
    from eossl.parity import generators
    from eossl.parity.official import checkout, prepare
    prepare(args.pydeps)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    for slug, module in generators().items():
        if not getattr(args, module.CHECKOUT_OPTION):
            continue
        root, commit = checkout(getattr(args, module.CHECKOUT_OPTION))
        arrays = module.references(root)
        path = out_dir / f'{slug}.npz'
        np.savez_compressed(path, official_repo=np.array(module.OFFICIAL_REPO),
                            official_commit=np.array(commit), **arrays)
        print(f'{path}: {len(arrays)} arrays from {module.OFFICIAL_REPO}@{commit[:12]}, '
              f'{path.stat().st_size / 1024:.0f} KiB')


if __name__ == '__main__':
    main()
