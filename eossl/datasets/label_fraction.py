"""Seeded, class-stratified subsets of a labelled index (1 %, 10 % … of the labels).

Low-label benchmarks train a probe on a fraction of the training labels. Drawing that fraction
uniformly at random can drop rare classes entirely (BigEarthNet's rarest class holds ~0.1 % of
the patches), so the subset is stratified per class and works for multi-label items too.
"""
from collections.abc import Sequence

import numpy as np


def class_targets(counts: np.ndarray, fraction: float) -> np.ndarray:
    """Samples wanted per class: ``max(1, round(fraction · n_c))`` for present classes, else 0.

    Rounds half up (not to even), so 0.5 → 1 and 2.5 → 3.
    """
    wanted = np.floor(fraction * counts + 0.5).astype(np.int64)
    return np.where(counts > 0, np.maximum(wanted, 1), 0)


def select_label_fraction(labels: Sequence[Sequence[int]], fraction: float,
                          seed: int = 0) -> list[int]:
    """Sorted indices of a seeded, class-stratified ``fraction`` of the items.

    Classes are visited from the rarest to the most common; each takes, in a seeded random
    order, items carrying it that are not selected yet until it is covered by
    :func:`class_targets` of them. Items selected for a rarer class count towards every class
    they carry, so with multi-label items common classes end up close to (at least) their target
    and the total is about ``fraction · N``; with one label per item every class gets exactly its
    target. Items without a label (``[]``) form their own stratum of ``round(fraction · n)``
    items, so an unlabelled index (segmentation) gets a plain seeded random subset.

    Args:
        labels: class indices of each item (``gt_label``); one list per item.
        fraction: in (0, 1]; 1 keeps everything.
        seed: the draw; the same labels, fraction and seed always give the same subset.

    Raises:
        ValueError: ``fraction`` outside (0, 1] or a negative class index.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f'label_fraction must be in (0, 1], got {fraction!r}')
    num = len(labels)
    if fraction == 1 or num == 0:
        return list(range(num))
    flat = [int(c) for item in labels for c in item]
    if flat and min(flat) < 0:
        raise ValueError(f'label_fraction: class indices must be >= 0, got {min(flat)}')
    num_classes = max(flat, default=-1) + 1
    multi_hot = np.zeros((num, num_classes), dtype=bool)
    for row, item in enumerate(labels):
        multi_hot[row, list(item)] = True
    rank = np.random.default_rng(seed).permutation(num)  # the seeded priority of each item
    selected = np.zeros(num, dtype=bool)
    counts = multi_hot.sum(axis=0)
    targets, have = class_targets(counts, fraction), np.zeros(num_classes, dtype=np.int64)
    for cls in np.argsort(counts, kind='stable'):
        need = targets[cls] - have[cls]
        if need <= 0:
            continue
        candidates = np.flatnonzero(multi_hot[:, cls] & ~selected)
        chosen = candidates[np.argsort(rank[candidates])][:need]
        selected[chosen] = True
        have += multi_hot[chosen].sum(axis=0)
    unlabelled = np.flatnonzero(~multi_hot.any(axis=1))
    keep = int(np.floor(fraction * len(unlabelled) + 0.5))
    selected[unlabelled[np.argsort(rank[unlabelled])][:keep]] = True
    return np.flatnonzero(selected).tolist()
