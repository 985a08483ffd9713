"""Nested, class-stratified label fractions of a training set (1 % ⊂ 10 % ⊂ 100 %).

Each fraction is drawn by :func:`eossl.datasets.label_fraction.select_label_fraction`
(stratified per class, rarest class first, multi-label aware) with one seed, and every larger
fraction is made to contain the smaller ones, so a label-fraction curve compares the same
labelled samples plus more, never a different draw (the curve's differences are then the
labels' effect, not the draw's).
"""
from collections.abc import Sequence

from eossl.datasets.label_fraction import select_label_fraction


def nested_fractions(labels: Sequence[Sequence[int]], fractions: Sequence[float],
                     seed: int = 0) -> dict[float, list[int]]:
    """``{fraction: sorted indices}`` with ``indices(f) ⊂ indices(g)`` whenever ``f < g``.

    Args:
        labels: class indices of each training item (one list per item; ``[]`` unlabelled).
        fractions: values in (0, 1].
        seed: the draw shared by every fraction.
    """
    out: dict[float, list[int]] = {}
    chosen: set[int] = set()
    for fraction in sorted(set(fractions)):
        chosen |= set(select_label_fraction(labels, fraction, seed))
        out[fraction] = sorted(chosen)
    return out
