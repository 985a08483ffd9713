"""Aggregation over seeds and across datasets, as GEO-Bench reports it.

- Per (encoder, dataset, protocol, fraction): mean ± sample standard deviation over seeds and
  the mean of the per-run bootstrap intervals' bounds.
- Across datasets: each dataset's values are min-max normalised with a normaliser written next
  to the result (``low`` / ``high`` = the lowest / highest mean any evaluated model, floors
  included, reached on that dataset in the same protocol and fraction: GEO-Bench's per-dataset
  normalisation), then the interquartile mean (IQM: the mean of the middle 50 % of the
  normalised values, GEO-Bench's aggregate).
"""
from collections.abc import Mapping, Sequence

import numpy as np


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        raise ValueError('mean_sd: no values')
    return float(array.mean()), float(array.std(ddof=1)) if array.size > 1 else 0.0


def iqm(values: Sequence[float]) -> float:
    """Interquartile mean: the mean of the values between the 25th and 75th percentile ranks.

    With n values sorted, the lowest and highest ``floor(n / 4)`` are dropped (n < 4 keeps all).
    """
    array = np.sort(np.asarray(values, dtype=float))
    if array.size == 0:
        raise ValueError('iqm: no values')
    cut = array.size // 4
    return float(array[cut:array.size - cut].mean())


def normalised_iqm(scores: Mapping[str, Sequence[float] | np.ndarray],
                   normaliser: Mapping[str, tuple[float, float]]) -> float:
    """IQM of ``(v - low) / (high - low)`` over every dataset's values.

    Args:
        scores: ``{dataset: values (one per seed)}`` of one encoder and protocol.
        normaliser: ``{dataset: (low, high)}``; a dataset with ``high == low`` normalises to 0.

    Raises:
        KeyError: a dataset without a normaliser (named).
    """
    normalised = []
    for dataset, values in scores.items():
        if dataset not in normaliser:
            raise KeyError(f'normalised_iqm: no normaliser for dataset {dataset!r}; have '
                           f'{sorted(normaliser)}')
        low, high = normaliser[dataset]
        span = high - low
        normalised += [(v - low) / span if span else 0.0 for v in values]
    return iqm(normalised)


def iqm_bootstrap_ci(scores: Mapping[str, Sequence[float]],
                     normaliser: Mapping[str, tuple[float, float]], draws: int = 1000,
                     seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Stratified bootstrap interval of :func:`normalised_iqm` over seeds (GEO-Bench's CI).

    Each draw resamples, within every dataset separately, its per-seed values with replacement.
    """
    rng = np.random.default_rng(seed)
    arrays = {d: np.asarray(v, dtype=float) for d, v in scores.items()}
    values = [normalised_iqm({d: a[rng.integers(0, a.size, a.size)] for d, a in arrays.items()},
                             normaliser) for _ in range(draws)]
    tail = 100.0 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)
