"""kNN probe of a (pretrained) backbone on a classification recipe's data, no head trained.

``eossl-knn-probe CONFIG --checkpoint BACKBONE.pth [--k 20]``

CONFIG is a downstream classification recipe (configs/benchmarks/classification): its
``model.backbone`` and ``model.data_preprocessor`` make the features, its train set is the
labelled memory bank, and its ``val`` (default), ``test`` or — leave-one-out — ``train`` set
is queried. Every set is read with the recipe's evaluation pipeline (no augmentation).
``--checkpoint`` is either a pretraining checkpoint with an input contract (every checkpoint
eossl-train writes; :mod:`eossl.apis.contract`): its encoder — as trained, with its own bands and
normalization, whatever the recipe's backbone — embeds the recipe's data, read in raw units, its
bands picked by name (Dual-SimCLR: the encoder whose bands the data has); or a file from
eossl-extract-backbone (keys ``backbone.*``) loaded into the recipe's
backbone. Without it the recipe's own backbone ``init_cfg`` applies. Prints top-1
accuracy (single-label) or mAP (multi-label) and optionally writes them as JSON. The mAP is
the one eossl-test and the linear probes report, named in its key: ``mAP_present`` (the classes
with a positive query) by default, ``mAP_all`` (absent classes scored 0, mmpretrain's) with
``--map-classes all``.
"""
import argparse
import json
from collections.abc import Sequence

import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.registry import DATASETS, MODELS, init_default_scope
from mmengine.runner import set_random_seed
from torch.utils.data import DataLoader

import eossl
from eossl.apis import init_model, read_contract
from eossl.apis.contract_builder import VALUE_RULES
from eossl.apis.inference import band_indexes
from eossl.apis.model import recipe_bands
from eossl.checkpoints.pretrained_check import check_pretrained, pretrained_inits
from eossl.cli.launch.overrides import add_cfg_options, load_recipe
from eossl.evaluation.knn import (
    extract_encoder_features,
    extract_features,
    knn_metrics,
    knn_scores,
)
from eossl.utils import ensure_parent_dir


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='downstream classification recipe')
    parser.add_argument('--checkpoint', help='backbone weights (keys backbone.*)')
    parser.add_argument('--k', type=int, default=20, help='neighbours per query')
    parser.add_argument('--temperature', type=float, default=0.07,
                        help='vote weight exp(cos / T) as in DINO')
    parser.add_argument('--uniform', action='store_true', help='unweighted votes')
    parser.add_argument('--query', choices=('val', 'test', 'train'), default='val',
                        help="set to query; 'train' = leave-one-out on the train set")
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--map-classes', choices=('present', 'all'), default='present',
                        help='multi-label mAP over the classes present in the query set '
                        '(mAP_present) or over all, absent ones scored 0 (mAP_all)')
    parser.add_argument('--out', help='write the metrics to this JSON file')
    add_cfg_options(parser)
    return parser.parse_args(argv)


def eval_pipeline(cfg: Config) -> list:
    """The recipe's evaluation pipeline (val, else test)."""
    for split in ('val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader is not None:
            return loader['dataset']['pipeline']
    raise KeyError(f'{cfg.filename}: no val_dataloader or test_dataloader to take the '
                   'evaluation pipeline from')


def loader_for(cfg: Config, split: str, batch_size: int, raw: bool = False) -> DataLoader:
    """A sequential loader over ``split``'s dataset with the evaluation pipeline (``raw``:
    without its per-image value rules, which a checkpoint's contract applies itself)."""
    loader_cfg = cfg.get(f'{split}_dataloader')
    if loader_cfg is None:
        raise KeyError(f'{cfg.filename}: no {split}_dataloader; use --query train for a '
                       'leave-one-out probe of the train set')
    pipeline = [step for step in eval_pipeline(cfg)
                if not raw or str(step['type']).split('.')[-1] not in VALUE_RULES]
    dataset = DATASETS.build(dict(loader_cfg['dataset'], pipeline=pipeline))
    return DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=default_collate)


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the probe; returns the metrics (also printed)."""
    args = parse_args(argv)
    eossl.register_all_modules(init_default_scope=False)
    cfg = load_recipe(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'eossl'))
    if args.checkpoint and read_contract(args.checkpoint) is not None:
        return _report(args, *_contract_features(cfg, args))
    if args.checkpoint:
        cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=args.checkpoint,
                                           prefix='backbone.')
    set_random_seed(cfg.get('randomness', {}).get('seed', 0))  # layers the checkpoint lacks
    model = MODELS.build(cfg.model)
    for name, module, init in pretrained_inits(model):
        check_pretrained(module, init['checkpoint'], init.get('prefix'), where=name)
    model.init_weights()
    train_loader = loader_for(cfg, 'train', args.batch_size)
    classes = train_loader.dataset.metainfo.get('classes')
    num_classes = len(classes) if classes else model.head.num_classes
    train_feats, train_labels = extract_features(model, train_loader, num_classes)
    if args.query == 'train':
        query_feats, query_labels = train_feats, train_labels
    else:
        query_feats, query_labels = extract_features(
            model, loader_for(cfg, args.query, args.batch_size), num_classes)
    multi_label = type(model.head).__name__.startswith('MultiLabel')
    return _report(args, train_feats, train_labels, query_feats, query_labels, multi_label)


def _contract_features(cfg: Config, args: argparse.Namespace) -> tuple:
    """Features of the recipe's data by the checkpoint's own encoder (its input contract)."""
    encoder = init_model(None, args.checkpoint)
    data_bands = recipe_bands(cfg)
    encoder.select(data_bands, str(args.config))
    index = band_indexes(encoder.bands, data_bands, len(data_bands), str(args.config))
    train_loader = loader_for(cfg, 'train', args.batch_size, raw=True)
    classes = train_loader.dataset.metainfo.get('classes')
    num_classes = len(classes) if classes else cfg.model.head.num_classes
    train = extract_encoder_features(encoder, train_loader, num_classes, index)
    query = train if args.query == 'train' else extract_encoder_features(
        encoder, loader_for(cfg, args.query, args.batch_size, raw=True), num_classes, index)
    multi_label = str(cfg.model.head.type).split('.')[-1].startswith('MultiLabel')
    return (*train, *query, multi_label)


def _report(args: argparse.Namespace, train_feats: torch.Tensor, train_labels: torch.Tensor,
            query_feats: torch.Tensor, query_labels: torch.Tensor, multi_label: bool) -> dict:
    """kNN scores and metrics of the query set against the train set; printed and returned."""
    multi_label = multi_label or bool((train_labels.sum(dim=1) != 1).any())
    scores = knn_scores(train_feats, train_labels, query_feats, k=args.k,
                        temperature=None if args.uniform else args.temperature,
                        exclude_self=args.query == 'train')
    metrics = knn_metrics(scores, query_labels, multi_label, args.map_classes)
    metrics.update(k=min(args.k, len(train_feats) - int(args.query == 'train')),
                   query=args.query, train_samples=len(train_feats),
                   query_samples=len(query_feats))
    print(f'kNN probe of {args.config}: {json.dumps(metrics)}')
    if args.out:
        with open(ensure_parent_dir(args.out), 'w', encoding='utf-8') as f:
            json.dump(metrics, f, indent=2)
    return metrics


if __name__ == '__main__':
    with torch.no_grad():
        main()
