"""Figures of a contrastive checkpoint on a batch of its recipe's training samples (a PNG).

``eossl-visualize-contrastive CONFIG CKPT --out fig.png [--num 8 --topk 3 --index 0 --seed 0]``

- SoftCon recipe: the label-similarity target of the soft contrastive loss next to the learned
  cross-view similarity (softmax of the cosine over the loss temperature);
- Dual-SimCLR recipe: S1 → S2 retrieval, each S1 patch with its ``--topk`` nearest S2 patches
  (cosine of the projected embeddings), true pairs framed green.

``CKPT`` ``none`` draws an untrained model (for comparison with a trained one).
"""
import argparse
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate

import eossl
from eossl.cli.launch.overrides import add_cfg_options, load_recipe
from eossl.datasets.bands import resolve_bands
from eossl.utils import ensure_parent_dir
from eossl.visualization.recipe_samples import recipe_model, recipe_samples
from eossl.visualization.similarity import save_retrieval_figure, save_similarity_figure


@torch.no_grad()
def softcon_matrices(model, data: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """``(target, learned)`` ``(B, B)`` of a preprocessed SoftCon batch of two views."""
    views = data['inputs']
    batch = views[0].shape[0]
    z1, z2 = model.neck((model.features(torch.cat(list(views))),))[0].chunk(2)
    labels = model.multi_hot(data['data_samples'], batch, z1.device)
    loss = model.head.loss_module
    target = loss.targets(labels, labels, torch.arange(batch), batch)
    logits = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T / loss.temperature
    return target, logits.softmax(dim=1)


@torch.no_grad()
def dual_simclr_similarity(model, data: dict) -> torch.Tensor:
    """``(B, B)`` cosine of S1 embedding i and S2 embedding j."""
    s1, s2 = data['inputs']['s1'], data['inputs']['s2']
    z1 = model.s1_neck(model.s1_backbone(s1))[-1]
    z2 = model.s2_neck(model.s2_backbone(s2))[-1]
    return F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T


def main(argv: Sequence[str] | None = None) -> str:
    """Command line: write the figure of a SoftCon or Dual-SimCLR recipe; returns its path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a SoftCon or Dual-SimCLR pretraining recipe')
    parser.add_argument('checkpoint', help="its checkpoint, or 'none'")
    parser.add_argument('--out', default='contrastive.png')
    parser.add_argument('--num', type=int, default=8, help='scenes in the batch')
    parser.add_argument('--topk', type=int, default=3, help='Dual-SimCLR: neighbours shown')
    parser.add_argument('--index', type=int, default=0, help='first dataset sample')
    parser.add_argument('--seed', type=int, default=0, help='seeds the random views')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    eossl.register_all_modules()
    cfg = load_recipe(args.config, args.cfg_options)
    method = str(cfg.model.type).split('.')[-1]
    if method not in ('SoftCon', 'DualSimCLR'):
        parser.error(f'{args.config}: model.type {method!r}; this figure is for SoftCon and '
                     'DualSimCLR recipes (PerA: eossl-visualize-pera, MP-MAE: '
                     'eossl-visualize-mpmae)')
    model = recipe_model(cfg, None if args.checkpoint == 'none' else args.checkpoint)
    raw = pseudo_collate(recipe_samples(cfg, args.index, args.num, args.seed))
    data = model.data_preprocessor(raw, False)
    out = ensure_parent_dir(args.out)
    if method == 'SoftCon':
        target, learned = softcon_matrices(model, data)
        names = [str(s.metainfo.get('sample_id', i)) for i, s in enumerate(raw['data_samples'])]
        save_similarity_figure(target.numpy(), learned.numpy(), out, names)
    else:
        bands = cfg.model.data_preprocessor.get('bands') or {}
        accuracy = save_retrieval_figure(raw['inputs']['s1'], raw['inputs']['s2'],
                                         dual_simclr_similarity(model, data).numpy(), out,
                                         args.topk, resolve_bands(bands.get('s1')),
                                         resolve_bands(bands.get('s2')))
        print(f'S1 -> S2 top-1 retrieval accuracy: {accuracy:.3f}')
    print(f'wrote {args.out}')
    return args.out


if __name__ == '__main__':
    main()
