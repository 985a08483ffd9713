"""Convert an official DeCUR checkpoint into an eossl checkpoint.

``eossl-decur-to-eossl checkpoint_0099.pth out.pth`` (a full training checkpoint: the whole
``DeCUR`` model, both backbones and the projector, for ``load_from``) or
``eossl-decur-to-eossl rn50_ssl4eo-s12_ms_decur_ep100.pth out.pth`` (a released or torchgeo
backbone-only file: an ``EOResNet`` state dict, for
``init_cfg=dict(type='Pretrained', checkpoint=OUT)`` on a backbone).

``--modality s1|s2`` takes one backbone out of a full checkpoint instead (``--prefix backbone.``
writes it with the keys of a one-backbone model). The layouts are those of
:mod:`eossl.models.utils.decur_checkpoint`; a key outside them is an error naming it.

Note: the released models expect each band scaled from mean ± 2·std to [0, 1] with the
SSL4EO-S12 statistics (``TwoSigmaScale``); torchgeo documents other scalings for the same files.
"""
import argparse
from collections import OrderedDict

import torch

from eossl.checkpoints import safe_torch_load
from eossl.models.utils.decur_checkpoint import (
    BACKBONES,
    backbone_state,
    decur_to_eossl,
    model_state,
)
from eossl.utils import ensure_parent_dir

# the arguments of this command's user-error case (tests/test_tools/test_console_errors.py)
USER_ERROR_ARGS = ('/nonexistent/decur.pth', '/nonexistent/out.pth')


def convert(checkpoint: dict, modality: str | None) -> tuple[OrderedDict, str]:
    """The converted state dict of ``checkpoint`` and what it holds (``'model'``: a whole eossl
    ``DeCUR``; ``'s1'`` / ``'s2'``: one backbone; ``'backbone'``: a backbone-only file)."""
    full = any(k.startswith(tuple(BACKBONES.values())) for k in model_state(checkpoint))
    if not full:
        return backbone_state(checkpoint, modality or 's2'), 'backbone'
    if modality is None:
        return decur_to_eossl(checkpoint), 'model'
    return backbone_state(checkpoint, modality), modality


def main(argv: list[str] | None = None) -> None:
    """Command line: convert SRC into DST and report what was found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official DeCUR checkpoint (.pth, .pth.tar)')
    parser.add_argument('dst', help='eossl checkpoint to write')
    parser.add_argument('--modality', choices=tuple(BACKBONES), default=None,
                        help='one backbone of a full training checkpoint (default: the model)')
    parser.add_argument('--prefix', default='', help="key prefix, e.g. 'backbone.'")
    args = parser.parse_args(argv)
    state, kind = convert(safe_torch_load(args.src), args.modality)
    channels = [int(v.shape[1]) for k, v in state.items()
                if k.endswith('conv1.weight') and 'layer' not in k]  # each backbone's stem
    torch.save({'state_dict': {args.prefix + k: v for k, v in state.items()},
                'meta': {'converted_from': args.src, 'contents': kind,
                         'in_channels': channels}},
               ensure_parent_dir(args.dst))
    print(f'{args.src}: DeCUR {kind}, input bands {channels}; wrote {len(state)} tensors to '
          f'{args.dst}')


if __name__ == '__main__':
    main()
