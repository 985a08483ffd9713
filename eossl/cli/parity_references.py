"""Write the parity reference files from local checkouts of the official repositories.

    eossl-parity-references \\
        --pera PATH --mmearth PATH --ssltrs PATH --softcon PATH [--pydeps DIR] \\
        [--out tests/data/parity]

Each PATH is a git checkout or a bare git repository (extracted with ``git archive``) of
``SathShen/PerA``, ``vishalned/MMEarth-train``, ``HSG-AIML/SSLTransformerRS`` or
``zhu-xlab/softcon`` (backbones only: whole-step references, see :mod:`eossl.parity.softcon`).
Their code is imported as it is (CUDA-only imports stubbed, see :mod:`eossl.parity.official`)
and run on seeded inputs; the outputs, with the official commit, go to
``<out>/{pera,mpmae,dual_simclr}.npz`` (kilobytes each) and, for a method whose module has
them, to its whole-step references (``<out>/<method>_whole_step.npz``, from ``whole_step``)
and its view-distribution draws (``<out>/<method>_views.npz``, from ``views``). ``--pydeps``
is a ``pip install --target`` folder with the official code's dependencies (``timm``,
``kornia==0.7.4``, ``torchmetrics==1.4.0.post0``) kept out of eossl's environment. The tests in
``tests/test_models/test_parity_*.py`` and ``test_whole_step_*.py`` compare eossl against them.
"""
import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

SOURCES = dict(pera='SathShen/PerA', mmearth='vishalned/MMEarth-train',
               ssltrs='HSG-AIML/SSLTransformerRS', softcon='zhu-xlab/softcon')
OUTPUTS = dict(pera='pera.npz', mmearth='mpmae.npz', ssltrs='dual_simclr.npz',
               softcon='softcon.npz')


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options: the official checkouts to read and the output folder."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    for name, repo in SOURCES.items():
        parser.add_argument(f'--{name}', help=f'checkout or bare repository of {repo}')
    parser.add_argument('--pydeps', help='folder with the official code\'s dependencies')
    parser.add_argument('--out', default='tests/data/parity', help='output folder')
    args = parser.parse_args(argv)
    if not any(getattr(args, name) for name in SOURCES):
        parser.error('give at least one of ' + ', '.join(f'--{n}' for n in SOURCES))
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Write the reference files of every method whose official checkout is given."""
    args = parse_args(argv)
    from eossl.parity import dual_simclr, mpmae, pera, softcon
    from eossl.parity.official import checkout, prepare
    prepare(args.pydeps)
    modules = dict(pera=pera, mmearth=mpmae, ssltrs=dual_simclr, softcon=softcon)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    for name, module in modules.items():
        if not getattr(args, name):
            continue
        root, commit = checkout(getattr(args, name))
        for suffix, kind in (('', 'references'), ('_whole_step', 'whole_step'),
                             ('_views', 'views')):
            if not hasattr(module, kind):
                continue
            arrays = getattr(module, kind)(root)
            path = out_dir / OUTPUTS[name].replace('.npz', f'{suffix}.npz')
            np.savez_compressed(path, official_repo=np.array(SOURCES[name]),
                                official_commit=np.array(commit), **arrays)
            print(f'{path}: {len(arrays)} arrays from {SOURCES[name]}@{commit[:12]}, '
                  f'{path.stat().st_size / 1024:.0f} KiB')


if __name__ == '__main__':
    main()
