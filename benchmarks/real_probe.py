"""Frozen-feature probes and no-learning floors on EuroSAT-MS for ``real_imagery.py``.

- :func:`probe_cv`: 5-fold stratified cross-validation (fixed folds, seed 0, the same for every
  feature set so encoders are compared on the same splits) of an L-BFGS logistic regression on
  standardised features, ``C`` chosen per outer fold by an inner stratified 3-fold CV over
  ``eossl.evaluation.probes.C_GRID``; and kNN (k = 5) on standardised features. Accuracy in %,
  mean over the folds, and the per-fold values.
- :func:`floors`: ``imagestats`` and ``rcf`` (``eossl.evaluation.floors``) of the EuroSAT
  patches z-scored with their own per-band statistics; ``rcf`` drawn once per seed.
- :func:`effective_rank`: exp of the entropy of the normalised singular values of the centred
  features — 1 for a collapsed representation, D for an isotropic one.
"""
import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from eossl.evaluation.floors import RandomConvFeatures, imagestats
from eossl.evaluation.probes import C_GRID, KNN_K, MAX_ITER, quiet_sklearn

FOLDS, INNER_FOLDS = 5, 3


def _linear_acc(x_train, y_train, x_test, y_test, c: float) -> float:
    scaler = StandardScaler().fit(x_train)
    model = LogisticRegression(C=c, max_iter=MAX_ITER).fit(scaler.transform(x_train), y_train)
    return float((model.predict(scaler.transform(x_test)) == y_test).mean())


def _best_c(x: np.ndarray, y: np.ndarray) -> float:
    inner = StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=0)
    scores = {c: np.mean([_linear_acc(x[a], y[a], x[b], y[b], c) for a, b in inner.split(x, y)])
              for c in C_GRID}
    return max(scores, key=scores.get)


def probe_cv(features: np.ndarray, labels: np.ndarray) -> dict:
    """``{'linear_acc', 'knn_acc', 'linear_folds', 'knn_folds', 'C'}`` of ``(N, D)``
    features and class indices ``(N,)``."""
    x = np.nan_to_num(np.asarray(features, np.float64))
    outer = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    lin, knn, cs = [], [], []
    with threadpool_limits(limits=1), quiet_sklearn():
        for train, test in outer.split(x, labels):
            c = _best_c(x[train], labels[train])
            cs.append(c)
            lin.append(_linear_acc(x[train], labels[train], x[test], labels[test], c))
            scaler = StandardScaler().fit(x[train])
            model = KNeighborsClassifier(KNN_K).fit(scaler.transform(x[train]), labels[train])
            knn.append(float((model.predict(scaler.transform(x[test])) == labels[test]).mean()))
    return dict(linear_acc=100 * float(np.mean(lin)), knn_acc=100 * float(np.mean(knn)),
                linear_folds=[100 * v for v in lin], knn_folds=[100 * v for v in knn], C=cs)


def effective_rank(features: np.ndarray) -> float:
    """exp(entropy) of the normalised singular values of the centred ``(N, D)`` features."""
    x = torch.as_tensor(np.nan_to_num(features), dtype=torch.float64)
    s = torch.linalg.svdvals(x - x.mean(0))
    p = s / s.sum().clamp_min(1e-12)
    return float(torch.exp(-(p * torch.log(p.clamp_min(1e-12))).sum()))


def floors(data: dict, seeds) -> dict:
    """Probe results of ``imagestats`` and of ``rcf`` per seed, and their summaries."""
    x = torch.from_numpy(data['eurosat'].astype(np.float32))
    x = (x - x.mean((0, 2, 3), keepdim=True)) / x.std((0, 2, 3), keepdim=True).clamp_min(1e-6)
    labels = data['eurosat_label']
    out = {'imagestats': probe_cv(imagestats(x).numpy(), labels),
           'rcf': {str(s): probe_cv(RandomConvFeatures(13, seed=s)(x).numpy(), labels)
                   for s in seeds}}
    rcf = [r for r in out['rcf'].values()]
    out['summary'] = {
        'imagestats': {k: out['imagestats'][k] for k in ('linear_acc', 'knn_acc')},
        'rcf': {k: dict(mean=float(np.mean([r[k] for r in rcf])),
                        std=float(np.std([r[k] for r in rcf], ddof=1)) if len(rcf) > 1 else 0.0)
                for k in ('linear_acc', 'knn_acc')}}
    return out
