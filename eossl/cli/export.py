"""Export a trained eossl model to ONNX, an ExportedProgram or safetensors.

``eossl-export CONFIG CKPT --format onnx|exported-program|safetensors [--out FILE]``

CONFIG is a recipe (path or ``eossl::name``): a pretraining recipe exports its backbone, a
downstream one its classifier / segmentor; or a named weight (``eossl-list-weights``) with CKPT
``-``. The file's metadata (key ``eossl``) holds the bands, per-band mean/std, input size, task,
outputs and dynamic axes. ONNX and ExportedProgram exports are read back and compared with
PyTorch on random input (ONNX through ONNX Runtime on CPU); the largest difference is printed
and above ``--atol`` the command fails.
"""
import argparse
import sys
from pathlib import Path

import torch

from eossl.apis import init_model
from eossl.cli.launch.overrides import add_cfg_options
from eossl.export import FORMATS, export_model, max_difference

SUFFIX = {'onnx': '.onnx', 'exported-program': '.pt2', 'safetensors': '.safetensors'}


def main(argv: list[str] | None = None) -> int:
    """Command line; returns the exit status (1 with a one-line message on failure)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='recipe (path or eossl::name) or a named weight')
    parser.add_argument('checkpoint', help="the recipe's checkpoint ('-' for a named weight)")
    parser.add_argument('--format', required=True, choices=FORMATS)
    parser.add_argument('--out', help='output file (default: CKPT with the format suffix)')
    parser.add_argument('--input-size', type=int, nargs=2, metavar=('H', 'W'),
                        help="traced size (default: the backbone's img_size, else 224)")
    parser.add_argument('--modality', choices=('s1', 's2'), help='Dual-SimCLR recipes')
    parser.add_argument('--atol', type=float, default=1e-4,
                        help='largest accepted |export - PyTorch| (default 1e-4)')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    checkpoint = None if args.checkpoint == '-' else args.checkpoint
    stem = Path(args.checkpoint if checkpoint else args.config).with_suffix('')
    out = Path(args.out or f'{stem}{SUFFIX[args.format]}')
    model = init_model(args.config, checkpoint, modality=args.modality,
                       cfg_options=args.cfg_options)
    meta = export_model(model, out, args.format, args.input_size)
    h, w = meta['input_size']
    # a second batch size (and size, where spatial axes are dynamic) than the traced one
    grow = 2 * int(getattr(model.feature_extractor, 'patch_size', 16) or 16)
    size = (h + grow, w + grow) if 'height' in meta['dynamic_axes'].get('x', []) else (h, w)
    x = torch.randn(3, len(model.bands), *size)
    diff = max_difference(out, args.format, model, x)
    print(f'wrote {out} ({args.format}, {model.task}, {len(model.bands)} bands, traced at '
          f'{h}x{w}, dynamic {meta["dynamic_axes"].get("x", [])}); max |export - PyTorch| '
          f'= {diff:.2e} at batch 3, {size[0]}x{size[1]}')
    if diff > args.atol:
        print(f'eossl-export: error: {out} differs from PyTorch by {diff:.2e} > --atol '
              f'{args.atol:g}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
