"""Figure of PerA's aligned views and disjoint masks per crop slot (a PNG).

``eossl-visualize-pera CONFIG --out pera_masks.png [--index 0 --seed 0 --cfg-options ...]``

The sample comes from the recipe's training dataset through its pipeline (seeded): the same
views and patch sets the model trains on (:mod:`eossl.visualization.pera_masks`). No checkpoint
is needed: the masks are drawn by the data pipeline.
"""
import argparse
from collections.abc import Sequence

import eossl
from eossl.apis.model import recipe_bands
from eossl.cli.launch.overrides import add_cfg_options, load_recipe
from eossl.utils import ensure_parent_dir
from eossl.visualization.pera_masks import save_pera_figure
from eossl.visualization.recipe_samples import recipe_samples


def main(argv: Sequence[str] | None = None) -> str:
    """Command line: write the figure; returns its path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a PerA recipe')
    parser.add_argument('--out', default='pera_masks.png')
    parser.add_argument('--index', type=int, default=0, help='dataset sample')
    parser.add_argument('--seed', type=int, default=0, help='seeds crops and masks')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    eossl.register_all_modules()
    cfg = load_recipe(args.config, args.cfg_options)
    packed = recipe_samples(cfg, args.index, 1, args.seed)[0]
    sample = packed['data_samples']
    if 'disjoint_masks' not in sample:
        parser.error(f'{args.config}: the samples carry no disjoint_masks; a PerA recipe packs '
                     "them with PackEOInputs(algorithm_keys=('disjoint_masks',))")
    patch = next(s['patch_size'] for s in cfg.train_dataloader.dataset.pipeline
                 if str(s['type']).endswith('DisjointMaskGenerator'))
    save_pera_figure(packed['inputs'], sample.disjoint_masks, patch,
                     ensure_parent_dir(args.out), recipe_bands(cfg))
    print(f'wrote {args.out}')
    return args.out


if __name__ == '__main__':
    main()
