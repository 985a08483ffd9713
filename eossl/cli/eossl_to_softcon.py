"""Export the backbone of an eossl checkpoint in the official SoftCon layout.

``eossl-to-softcon work_dirs/softcon_vits14/epoch_100.pth \
B13_vits14_softcon.pth``

The input is an eossl training checkpoint (the ``backbone.`` part of its ``state_dict`` is
kept, neck and head are dropped) or a bare backbone state dict. The output is a plain state dict
that the official code loads as is: DINOv2's ``vision_transformer`` (``img_size=224,
patch_size=14, init_values=1e-5, block_chunks=0, num_register_tokens=0``) or torchvision's
``resnet50`` with ``conv1`` for C bands and ``fc = Identity()``.
"""
import argparse

import torch
from mmengine.runner.checkpoint import CheckpointLoader

import eossl  # noqa: F401  (installs the weights-only checkpoint loader for eossl checkpoints)
from eossl.checkpoints.softcon_layout import detect_arch, eossl_to_softcon
from eossl.utils import ensure_parent_dir


def main(argv: list[str] | None = None) -> None:
    """Command line: convert SRC into DST and report the architecture found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='eossl checkpoint (.pth)')
    parser.add_argument('dst', help='official-layout state dict to write')
    parser.add_argument('--prefix', default='backbone.',
                        help='prefix of the backbone keys in SRC (default: backbone.)')
    args = parser.parse_args(argv)
    checkpoint = CheckpointLoader.load_checkpoint(args.src, map_location='cpu')
    converted = eossl_to_softcon(checkpoint, prefix=args.prefix)
    torch.save(dict(converted), ensure_parent_dir(args.dst))
    print(f'{args.src}: {detect_arch(converted)} backbone; wrote {len(converted)} tensors to '
          f'{args.dst}')


if __name__ == '__main__':
    main()
