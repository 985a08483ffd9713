"""k-nearest-neighbour probe of frozen features: a representation check with no head to train.

Features are L2-normalized and compared by cosine similarity. Each query's k most similar
training samples vote with weight ``exp(s / T)`` (DINO's weighted kNN, T = 0.07 by default), or
uniformly without a temperature. The score of class c is the weighted mean of the neighbours'
label vectors: for single-label data its argmax is the weighted vote, for multi-label data it is
the neighbour-label average that mAP ranks.
"""
from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn

from .multilabel_ap import mean_average_precision


def knn_scores(train_feats: torch.Tensor, train_labels: torch.Tensor,
               query_feats: torch.Tensor, k: int = 20, temperature: float | None = 0.07,
               exclude_self: bool = False, chunk: int = 1024) -> torch.Tensor:
    """Class scores ``(M, K)`` of the queries from their k nearest training neighbours.

    Args:
        train_feats: ``(N, D)`` features of the labelled set.
        train_labels: ``(N, K)`` one-hot / multi-hot labels.
        query_feats: ``(M, D)`` features to score.
        k: neighbours per query (capped at the number of candidates).
        temperature: weight ``exp(cos / T)``; None for uniform votes.
        exclude_self: the queries ARE the training set in the same order (leave-one-out):
            a sample never votes for itself.
        chunk: queries scored at once (bounds the ``(chunk, N)`` similarity matrix).

    Returns:
        ``(M, K)`` weighted means of the neighbours' label vectors (each row sums to the mean
        number of labels of its neighbours; one-hot labels give rows summing to 1).
    """
    if train_feats.shape[0] != train_labels.shape[0]:
        raise ValueError(f'knn_scores: {train_feats.shape[0]} training features but '
                         f'{train_labels.shape[0]} label rows')
    if exclude_self and query_feats.shape[0] != train_feats.shape[0]:
        raise ValueError('knn_scores: exclude_self needs the queries to be the training set')
    candidates = train_feats.shape[0] - int(exclude_self)
    if k < 1 or candidates < 1:
        raise ValueError(f'knn_scores: need k >= 1 and at least one candidate neighbour, got '
                         f'k={k} with {candidates}')
    k = min(k, candidates)
    train = F.normalize(train_feats.float(), dim=1)
    labels = train_labels.float()
    out = []
    for start in range(0, query_feats.shape[0], chunk):
        sims = F.normalize(query_feats[start:start + chunk].float(), dim=1) @ train.T
        if exclude_self:
            rows = torch.arange(sims.shape[0])
            sims[rows, rows + start] = -torch.inf
        top, index = sims.topk(k, dim=1)
        weights = torch.ones_like(top) if temperature is None else (top / temperature).exp()
        weights = weights / weights.sum(dim=1, keepdim=True)
        out.append(torch.einsum('mk,mkc->mc', weights, labels[index]))
    return torch.cat(out)


def knn_metrics(scores: torch.Tensor, targets: torch.Tensor, multi_label: bool,
                map_classes: str = 'present') -> dict:
    """``{'accuracy'}`` (top-1, %) or the mAP of kNN scores.

    The mAP is :func:`~eossl.evaluation.multilabel_ap.mean_average_precision`, the definition
    every eossl command shares, named in its key: ``map_classes='present'`` gives
    ``{'mAP_present', 'classes_evaluated'}`` (the classes with a positive query), ``'all'``
    gives ``{'mAP_all'}`` (every class, an absent one scored 0, as mmpretrain does).
    """
    if not multi_label:
        correct = scores.argmax(dim=1) == targets.argmax(dim=1)
        return {'accuracy': 100.0 * correct.float().mean().item()}
    return mean_average_precision(scores, targets, map_classes)


def label_matrix(labels: Iterable, num_classes: int) -> torch.Tensor:
    """``(N, K)`` multi-hot rows from ``N`` lists / tensors of class indices."""
    rows = []
    for index in labels:
        row = torch.zeros(num_classes)
        index = torch.as_tensor(index).long().flatten()
        if len(index) and (index.min() < 0 or index.max() >= num_classes):
            raise ValueError(f'label indices {index.tolist()} outside [0, {num_classes})')
        row[index] = 1.0
        rows.append(row)
    return torch.stack(rows)


@torch.no_grad()
def extract_features(model: nn.Module, dataloader: Iterable,
                     num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pooled backbone features ``(N, D)`` and multi-hot labels ``(N, K)`` of a whole loader.

    ``model`` has a ``data_preprocessor`` and a ``backbone`` (an mmpretrain classifier or an
    eossl algorithm with a single backbone); the backbone's last output is used, global-average
    pooled when it is a feature map ``(B, D, h, w)``.
    """
    model.eval()
    feats, labels = [], []
    for batch in dataloader:
        data = model.data_preprocessor(batch, False)
        out = model.backbone(data['inputs'])[-1]
        feats.append(out.mean(dim=(2, 3)) if out.dim() == 4 else out)
        labels.append(label_matrix([s.gt_label for s in data['data_samples']], num_classes))
    return torch.cat(feats).cpu(), torch.cat(labels)


@torch.no_grad()
def extract_encoder_features(encoder, dataloader: Iterable, num_classes: int,
                             band_index: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Like :func:`extract_features` for an :class:`~eossl.apis.EOInferenceModel` built from a
    checkpoint's input contract: each batch's raw ``inputs`` ``(B, C, H, W)`` (the recipe's
    bands) → the encoder's bands (``band_index``) → its normalization → pooled ``(N, D)``."""
    from eossl.apis.inference import backbone_features
    feats, labels = [], []
    for batch in dataloader:
        inputs = batch['inputs']
        raw = inputs if isinstance(inputs, torch.Tensor) else torch.stack(list(inputs))
        pooled, _ = backbone_features(encoder, encoder.normalize(raw.float()[:, band_index]))
        feats.append(pooled)
        labels.append(label_matrix([s.gt_label for s in batch['data_samples']], num_classes))
    return torch.cat(feats).cpu(), torch.cat(labels)
