"""PCA false colour of the patch features of any backbone on one image (a PNG).

``eossl-pca-features CONFIG CHECKPOINT IMAGE.tif --out pca.png [--bands B2 B3 ...]``

CONFIG / CHECKPOINT as :func:`eossl.apis.init_model` takes them (a pretraining or downstream
recipe; a pretraining checkpoint, an extracted backbone or a downstream checkpoint); IMAGE is a
raster with the model's bands (:func:`eossl.apis.embed`). A ViT needs ``out_type='featmap'`` for
a feature map: ``--cfg-options model.backbone.out_type=featmap``.
"""
import argparse
from collections.abc import Sequence

from eossl.apis import embed, init_model
from eossl.apis.inference import read_image
from eossl.cli.launch.overrides import add_cfg_options
from eossl.utils import ensure_parent_dir
from eossl.visualization.pca_features import save_pca_figure


def main(argv: Sequence[str] | None = None) -> str:
    """Command line: write the figure; returns its path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', help="checkpoint, or 'none' for random weights")
    parser.add_argument('image', help='raster with the model bands')
    parser.add_argument('--bands', nargs='+', help="the image's band names (default: the "
                        "raster's band descriptions)")
    parser.add_argument('--modality', help="Dual-SimCLR pretraining recipes: 's1' or 's2'")
    parser.add_argument('--stats', help='checkpoints without an input contract: the '
                        '_band_stats.json the encoder was trained with (MP-MAE)')
    parser.add_argument('--out', default='pca_features.png')
    add_cfg_options(parser)
    parser.add_argument('--amp', action='store_true', help='bf16 autocast where the device '
                        'computes it natively (eossl.engine.precision)')
    args = parser.parse_args(argv)
    checkpoint = None if args.checkpoint == 'none' else args.checkpoint
    model = init_model(args.config, checkpoint, modality=args.modality,
                       cfg_options=args.cfg_options, stats_file=args.stats)
    features = embed(model, args.image, args.bands, amp=args.amp)
    if 'feature_map' not in features:
        parser.error(f'{args.config}: the backbone returns vectors only; for a ViT add '
                     '--cfg-options model.backbone.out_type=featmap')
    save_pca_figure(read_image(model, args.image, args.bands), features['feature_map'],
                    ensure_parent_dir(args.out), model.bands, title=args.image)
    print(f'wrote {args.out}')
    return args.out


if __name__ == '__main__':
    main()
