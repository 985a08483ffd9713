"""Frozen-feature probes as torchgeo-bench runs them: kNN (k = 5) and a swept logistic regression.

Features are extracted once and cached; the probes never touch the encoder. Both use
scikit-learn:

- ``knn``: ``KNeighborsClassifier(n_neighbors=5)`` (Euclidean, uniform votes) on the
  standardised features. Multi-label targets ``(N, K)`` are fitted as K binary outputs and the
  score of class c is the fraction of the 5 neighbours carrying it.
- ``linear``: L-BFGS ``LogisticRegression``; ``C`` is swept over ``10**-6 … 10**4`` (11 values),
  the best ``C`` on the validation set is refitted on train ∪ val and scored on test. Multi-label
  targets use one binary regression per class (``OneVsRestClassifier``).

Metrics: top-1 accuracy for single-label, **micro** mAP (``average_precision_score(...,
average='micro')``) for multi-label, both in %. The 95 % confidence interval is a bootstrap of
the test predictions (test samples drawn with replacement, percentile interval), so it measures
the test-set sampling error of one trained probe; the spread over seeds is reported separately.
"""
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

C_GRID = tuple(10.0 ** e for e in range(-6, 5))
KNN_K = 5
MAX_ITER = 100  # scikit-learn's default; large C on separable features stops here


def score_metric(targets: np.ndarray, scores: np.ndarray, multi_label: bool) -> float:
    """Accuracy (single-label, ``targets`` ``(N,)`` ints, ``scores`` ``(N, K)``) or micro mAP (%).

    Multi-label ``targets`` are ``(N, K)`` 0/1 and ``scores`` ``(N, K)`` class scores.
    """
    if multi_label:
        return 100.0 * float(average_precision_score(targets, scores, average='micro'))
    return 100.0 * float((scores.argmax(axis=1) == targets).mean())


def bootstrap_ci(metric: Callable[[np.ndarray], float], num: int, draws: int = 1000,
                 seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric(indices)`` over ``num`` test items.

    ``metric`` maps an index array (drawn with replacement, length ``num``) to a number.
    """
    rng = np.random.default_rng(seed)
    values = np.array([metric(rng.integers(0, num, num)) for _ in range(draws)])
    tail = 100.0 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _full_scores(model, feats: np.ndarray, num_classes: int, multi_label: bool) -> np.ndarray:
    """``(N, K)`` class scores; classes missing from the fit get score 0 (single-label)."""
    if multi_label:
        proba = model.predict_proba(feats)
        if isinstance(proba, list):  # KNeighborsClassifier: one (N, 2) array per output
            proba = np.stack([p[:, -1] if p.shape[1] == 2 else
                              np.full(len(feats), float(c[0])) for p, c in
                              zip(proba, model.classes_)], axis=1)
        return proba
    out = np.zeros((len(feats), num_classes))
    out[:, model.classes_] = model.predict_proba(feats)
    return out


def _linear(c: float, multi_label: bool):
    base = LogisticRegression(C=c, solver='lbfgs', max_iter=MAX_ITER)
    return OneVsRestClassifier(base) if multi_label else base


def _check(name: str, feats: np.ndarray, targets: np.ndarray) -> None:
    if len(feats) != len(targets):
        raise ValueError(f'{name}: {len(feats)} feature rows but {len(targets)} targets')
    if len(feats) == 0:
        raise ValueError(f'{name}: no samples')


def _run_probe(kind: str, train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray],
              test: tuple[np.ndarray, np.ndarray], num_classes: int, multi_label: bool,
              seed: int = 0, draws: int = 1000) -> dict:
    """Fit probe ``kind`` (``'knn'`` or ``'linear'``) and score it on test.

    Args:
        train, val, test: ``(features (N, D), targets)``; targets are class indices ``(N,)``
            or, multi-label, 0/1 rows ``(N, K)``.
        num_classes: K.
        multi_label: targets are ``(N, K)`` rows; the metric is micro mAP.
        seed: the bootstrap draw.
        draws: bootstrap resamples.

    Returns:
        ``{'metric', 'value', 'ci_low', 'ci_high', 'n_test'}`` (+ ``'C'`` for linear), in %.
    """
    for name, (x, y) in zip(('train', 'val', 'test'), (train, val, test)):
        _check(f'run_probe {name}', x, y)
    if kind == 'knn':
        scaler = StandardScaler().fit(train[0])
        model = KNeighborsClassifier(n_neighbors=min(KNN_K, len(train[0])))
        model.fit(scaler.transform(train[0]), train[1])
        extra = {'k': model.n_neighbors}
    elif kind == 'linear':
        scaler = StandardScaler().fit(train[0])
        xtr, xva = scaler.transform(train[0]), scaler.transform(val[0])
        best_c, best = C_GRID[0], -np.inf
        for c in C_GRID:
            scores = _full_scores(_linear(c, multi_label).fit(xtr, train[1]), xva,
                                  num_classes, multi_label)
            value = score_metric(val[1], scores, multi_label)
            if value > best:
                best_c, best = c, value
        feats = np.concatenate([train[0], val[0]])
        scaler = StandardScaler().fit(feats)
        model = _linear(best_c, multi_label).fit(scaler.transform(feats),
                                                 np.concatenate([train[1], val[1]]))
        extra = {'C': best_c, 'val_value': best}
    else:
        raise ValueError(f"run_probe: kind must be 'knn' or 'linear', got {kind!r}")
    scores = _full_scores(model, scaler.transform(test[0]), num_classes, multi_label)
    targets = test[1]
    value = score_metric(targets, scores, multi_label)
    low, high = bootstrap_ci(lambda i: score_metric(targets[i], scores[i], multi_label),
                             len(targets), draws=draws, seed=seed)
    return dict(metric='mAP_micro' if multi_label else 'accuracy', value=value, ci_low=low,
                ci_high=high, n_test=len(targets), **extra)


def run_probe(*args, **kwargs) -> dict:
    """:func:`_run_probe` with BLAS limited to one thread.

    Thousands of tiny L-BFGS fits (11 values of C × classes) with a multi-threaded BLAS spend
    their time synchronising threads: 15× slower on a loaded 2-core machine.
    Scikit-learn's convergence warnings (large C on separable features) and one-vs-rest's
    notes on classes absent from a small training fraction are silenced: both are expected.
    """
    with threadpool_limits(limits=1), quiet_sklearn():
        return _run_probe(*args, **kwargs)


@contextmanager
def quiet_sklearn() -> Iterator[None]:
    """Silence ConvergenceWarning and sklearn.multiclass's absent-label UserWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', ConvergenceWarning)
        warnings.filterwarnings('ignore', category=UserWarning, module='sklearn.multiclass')
        yield
