"""Convert an official SoftCon backbone checkpoint into an eossl backbone checkpoint.

``eossl-softcon-to-eossl B13_vits14_softcon.pth out.pth``

The input is one of the released backbone-only state dicts of ``zhu-xlab/softcon`` (``B13_*``:
13-band S2 L1C, ``B2_*``: S1 VV/VH; ViT-S/14, ViT-B/14 with DINOv2 key names, or a torchvision
ResNet-50 without ``fc``). The output is ``{'state_dict': ..., 'meta': ...}`` with the keys of
:class:`~eossl.models.backbones.EOVisionTransformer` / ``EOResNet``, for
``init_cfg=dict(type='Pretrained', checkpoint=OUT)`` on the backbone; ``--prefix backbone.``
writes the keys of a whole SoftCon model instead (for ``load_from``).

Note: the released models expect each band scaled from mean ± 2·std to [0, 255] (see
design/BANDS.md), not the z-scores of the eossl pretraining recipes.
"""
import argparse

import torch

from eossl.checkpoints import safe_torch_load
from eossl.checkpoints.softcon_layout import detect_arch, softcon_to_eossl
from eossl.utils import ensure_parent_dir


def main(argv: list[str] | None = None) -> None:
    """Command line: convert SRC into DST and report the architecture found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official SoftCon checkpoint (.pth)')
    parser.add_argument('dst', help='eossl checkpoint to write')
    parser.add_argument('--prefix', default='', help="key prefix, e.g. 'backbone.'")
    args = parser.parse_args(argv)
    state = safe_torch_load(args.src)
    converted = softcon_to_eossl(state)
    arch = detect_arch(converted)
    channels = converted['patch_embed.proj.weight' if arch == 'vit' else 'conv1.weight'].shape[1]
    torch.save({'state_dict': {args.prefix + k: v for k, v in converted.items()},
                'meta': {'converted_from': args.src, 'arch': arch, 'in_channels': channels}},
               ensure_parent_dir(args.dst))
    print(f'{args.src}: {arch} backbone, {channels} input bands; wrote {len(converted)} tensors '
          f'to {args.dst}')


if __name__ == '__main__':
    main()
