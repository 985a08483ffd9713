"""Apply a trained model to a scene GeoTIFF, tile by tile: a class map, probabilities or features.

``eossl-predict-scene CONFIG CKPT IN.tif OUT.tif --tile 512 --overlap 64 [--batch 4]
[--bands B2 B3 ...] [--probs | --embed] [--device cuda] [--stats FILE] [--fill-missing-bands]``

CONFIG is any eossl recipe (path or ``eossl::name``): a downstream classification/segmentation
recipe predicts, a pretraining recipe (or any recipe with ``--embed``) writes the backbone's
feature map at the model's stride plus ``OUT.png``, a PCA false-colour view of it. IN.tif is read
in windows (local path or GDAL virtual path: ``/vsicurl/https://…``, ``/vsis3/…``, ``s3://…``,
``/vsizip/…``) in raw units (reflectance DN, dB); ``--bands`` names its bands when the file's
band descriptions do not (without either, the file is read in the model's band order, with a
warning). The bands and normalization come from the checkpoint's input contract; a checkpoint
from before contracts whose recipe normalizes with its dataset's statistics (MP-MAE) needs
``--stats`` (the ``_band_stats.json`` it was trained with). OUT.tif keeps the input's CRS,
transform and size (``--embed``: the feature grid), nodata where the input is nodata. See
docs/apply_to_scenes.md.
"""
import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import eossl
from eossl.apis import init_model, predict_scene, write_pca_png
from eossl.cli.launch.overrides import add_cfg_options


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='recipe (path or eossl::name)')
    parser.add_argument('checkpoint', help="checkpoint of the recipe ('none': random weights)")
    parser.add_argument('input', help='scene raster (GeoTIFF/COG/VRT, local or GDAL virtual path)')
    parser.add_argument('output', help='GeoTIFF to write')
    parser.add_argument('--tile', type=int, default=512, help='tile side in pixels')
    parser.add_argument('--overlap', type=int, default=64, help='pixels shared by neighbours')
    parser.add_argument('--batch', type=int, default=4, help='tiles per forward pass')
    parser.add_argument('--bands', nargs='+', help="names of the input's bands, in file order")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--probs', action='store_true', help='write per-class probabilities')
    mode.add_argument('--embed', action='store_true',
                      help='write the feature map and a PCA false-colour PNG')
    parser.add_argument('--modality', choices=('s1', 's2'),
                        help='Dual-SimCLR pretraining recipes: which backbone')
    parser.add_argument('--source', choices=('auto', 'teacher', 'student'), default='auto',
                        help='pretraining checkpoints with an EMA teacher: which weights')
    parser.add_argument('--stats', help='checkpoints without an input contract: the '
                        '_band_stats.json the encoder was trained with (MP-MAE)')
    parser.add_argument('--fill-missing-bands', action='store_true',
                        help='read bands the model needs but the scene lacks (B10 of an L1C '
                        'model on an L2A scene) as nodata (the band mean), as FillMissingBands')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--amp', action='store_true',
                        help='bf16 autocast (GPUs from Ampere, CPUs with AVX512-BF16/AMX; fp16 '
                        'on older GPUs)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace OUT.tif when it exists (else refused before any compute)')
    add_cfg_options(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the tool; returns (and prints as JSON) a summary of the run."""
    args = parse_args(argv)
    eossl.register_all_modules(init_default_scope=False)
    checkpoint = None if args.checkpoint.lower() == 'none' else args.checkpoint
    model = init_model(args.config, checkpoint, args.device, modality=args.modality,
                       source=args.source, cfg_options=args.cfg_options, stats_file=args.stats)
    start = time.perf_counter()
    info = predict_scene(model, args.input, args.output, tile=args.tile, overlap=args.overlap,
                         batch=args.batch, bands=args.bands, probs=args.probs, embed=args.embed,
                         progress=not args.no_progress, amp=args.amp,
                         overwrite=args.overwrite, fill_missing=args.fill_missing_bands)
    seconds = time.perf_counter() - start
    summary = dict(info, output=args.output, seconds=round(seconds, 3),
                   tiles_per_s=round(info['tiles'] / seconds, 3) if seconds else None)
    if args.embed:
        summary['pca_png'] = str(write_pca_png(args.output, Path(args.output).with_suffix('.png')))
    print(json.dumps(summary))
    return summary


if __name__ == '__main__':
    main()
