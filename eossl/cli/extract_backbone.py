"""Extract the backbone weights of an eossl pretraining checkpoint for downstream recipes.

``eossl-extract-backbone work_dirs/softcon/epoch_100.pth vits14.pth``

The output ``{'state_dict': {'backbone.…': tensor}, 'meta': {...}}`` loads into a downstream
recipe's backbone with ``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``.

- PerA (or any checkpoint with an EMA teacher): ``--source teacher`` (the default, ``auto``,
  takes the teacher when there is one) or ``--source student``.
- Dual-SimCLR: ``--modality s1`` / ``s2`` (one ResNet/Swin, keys ``backbone.*``) or ``both``
  (the default; keys ``backbone.s1.*`` / ``backbone.s2.*`` for ``eossl.DualModalityBackbone``).

A file with one backbone keeps that encoder's input contract (:mod:`eossl.apis.contract`) in
``meta['input_contract']``, so ``init_model(None, OUT)`` and ``eossl-knn-probe`` apply it alone.
"""
import argparse
from collections.abc import Sequence

import torch
from mmengine.runner.checkpoint import CheckpointLoader

from eossl.apis.contract import CONTRACT_KEY, read_contract, single_backbone_contract
from eossl.checkpoints.backbone_extraction import MODALITY_CHOICES, SOURCES, extract_backbone
from eossl.utils import ensure_parent_dir


def main(argv: Sequence[str] | None = None) -> dict:
    """Command line: extract SRC's backbone(s) into DST; returns the ``meta`` written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='eossl pretraining checkpoint (.pth)')
    parser.add_argument('dst', help='backbone checkpoint to write')
    parser.add_argument('--modality', choices=MODALITY_CHOICES,
                        help='Dual-SimCLR only: which backbone(s) (default: both)')
    parser.add_argument('--source', choices=SOURCES, default='auto',
                        help='student or EMA teacher (auto: the teacher when present)')
    args = parser.parse_args(argv)
    checkpoint = CheckpointLoader.load_checkpoint(args.src, map_location='cpu')
    state, info = extract_backbone(checkpoint, modality=args.modality, source=args.source)
    meta = {'extracted_from': args.src, **info}
    contract = read_contract(checkpoint)
    kept = single_backbone_contract(contract, args.modality) if contract else None
    if kept is not None:
        meta[CONTRACT_KEY] = kept.to_dict()
    torch.save({'state_dict': state, 'meta': meta}, ensure_parent_dir(args.dst))
    parts = ', '.join(f'{out}* <- {src}* ({info["in_channels"][out]} bands)'
                      for out, src in info['taken_from'].items())
    print(f'{args.src}: wrote {len(state)} tensors to {args.dst}: {parts}')
    return meta


if __name__ == '__main__':
    main()
