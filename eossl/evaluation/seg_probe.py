"""Segmentation probes on cached feature maps (torchgeo-bench's method applied per cell).

The encoder's spatial features ``(N, D, h, w)`` are cached once. Every feature cell gets the
majority class of the labelled pixels it covers (cells with none are left out of training);
a kNN (k = 5) or swept logistic regression (:mod:`eossl.evaluation.probes`) is fitted on the
cells, its class probabilities are upsampled bilinearly to the mask size ``(H, W)`` and the
argmax is scored by mIoU (%) over the classes present in the test masks or predictions. The
95 % interval bootstraps the test images (per-image confusion matrices drawn with
replacement).
"""
import numpy as np
import torch
import torch.nn.functional as F
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from .probes import C_GRID, KNN_K, _linear, bootstrap_ci, quiet_sklearn

MAX_TRAIN_CELLS = 20000


def cell_labels(masks: np.ndarray, grid: tuple[int, int], num_classes: int,
                ignore_index: int = 255) -> np.ndarray:
    """``(N, h, w)`` majority class of each cell of ``masks`` ``(N, H, W)``; -1 when unlabelled."""
    n, height, width = masks.shape
    h, w = grid
    rows = np.minimum(np.arange(height) * h // height, h - 1)
    cols = np.minimum(np.arange(width) * w // width, w - 1)
    cell = rows[:, None] * w + cols[None, :]
    counts = np.zeros((n, h * w, num_classes), dtype=np.int64)
    valid = masks != ignore_index
    for i in range(n):
        np.add.at(counts[i], (cell[valid[i]], masks[i][valid[i]]), 1)
    out = counts.argmax(axis=2)
    out[counts.sum(axis=2) == 0] = -1
    return out.reshape(n, h, w)


def _cells(feats: np.ndarray) -> np.ndarray:
    """``(N, D, h, w)`` → ``(N·h·w, D)``."""
    return feats.transpose(0, 2, 3, 1).reshape(-1, feats.shape[1])


def confusion(pred: np.ndarray, masks: np.ndarray, num_classes: int,
              ignore_index: int = 255) -> np.ndarray:
    """Per-image confusion matrices ``(N, K, K)`` (rows: truth) of ``pred`` vs ``masks``."""
    out = np.zeros((len(masks), num_classes, num_classes), dtype=np.int64)
    for i, (p, m) in enumerate(zip(pred, masks)):
        keep = m != ignore_index
        out[i] = np.bincount(m[keep] * num_classes + p[keep],
                             minlength=num_classes ** 2).reshape(num_classes, num_classes)
    return out


def miou(conf: np.ndarray) -> float:
    """Mean IoU (%) of a summed confusion matrix over classes seen in truth or prediction."""
    inter = np.diag(conf).astype(float)
    union = conf.sum(0) + conf.sum(1) - inter
    present = union > 0
    return 100.0 * float((inter[present] / union[present]).mean()) if present.any() else 0.0


def _predict(model, scaler, feats: np.ndarray, num_classes: int,
             size: tuple[int, int]) -> np.ndarray:
    n, _, h, w = feats.shape
    proba = np.zeros((n * h * w, num_classes), dtype=np.float32)
    proba[:, model.classes_] = model.predict_proba(scaler.transform(_cells(feats)))
    maps = torch.from_numpy(proba.reshape(n, h, w, num_classes)).permute(0, 3, 1, 2)
    return F.interpolate(maps, size=size, mode='bilinear', align_corners=False).argmax(1).numpy()


def _fit_cells(kind: str, feats: np.ndarray, masks: np.ndarray, num_classes: int,
               ignore_index: int, seed: int, c: float | None = None):
    labels = cell_labels(masks, feats.shape[2:], num_classes, ignore_index).reshape(-1)
    x, keep = _cells(feats), labels >= 0
    x, labels = x[keep], labels[keep]
    if len(labels) > MAX_TRAIN_CELLS:
        pick = np.random.default_rng(seed).choice(len(labels), MAX_TRAIN_CELLS, replace=False)
        x, labels = x[pick], labels[pick]
    if len(labels) == 0:
        raise ValueError('segmentation probe: no labelled pixel in the training masks')
    scaler = StandardScaler().fit(x)
    model = KNeighborsClassifier(n_neighbors=min(KNN_K, len(labels))) if kind == 'knn' \
        else _linear(c, False)
    return model.fit(scaler.transform(x), labels), scaler


def _run_seg_probe(kind: str, train: tuple[np.ndarray, np.ndarray],
                  val: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
                  num_classes: int, ignore_index: int = 255, seed: int = 0,
                  draws: int = 1000) -> dict:
    """Fit a cell probe on ``(feature maps (N, D, h, w), masks (N, H, W))`` and score test mIoU.

    ``'linear'`` sweeps ``C`` on val mIoU and refits on train ∪ val; ``'knn'`` fits on train.
    Returns ``{'metric': 'mIoU', 'value', 'ci_low', 'ci_high', 'n_test'}`` (+ ``'C'``).
    """
    if kind not in ('knn', 'linear'):
        raise ValueError(f"run_seg_probe: kind must be 'knn' or 'linear', got {kind!r}")
    size = test[1].shape[1:]
    extra = {}
    if kind == 'linear':
        best_c, best = C_GRID[0], -np.inf
        for c in C_GRID:
            model, scaler = _fit_cells(kind, *train, num_classes, ignore_index, seed, c)
            pred = _predict(model, scaler, val[0], num_classes, val[1].shape[1:])
            value = miou(confusion(pred, val[1], num_classes, ignore_index).sum(0))
            if value > best:
                best_c, best = c, value
        both = (np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]]))
        model, scaler = _fit_cells(kind, *both, num_classes, ignore_index, seed, best_c)
        extra = {'C': best_c, 'val_value': best}
    else:
        model, scaler = _fit_cells(kind, *train, num_classes, ignore_index, seed)
        extra = {'k': model.n_neighbors}
    conf = confusion(_predict(model, scaler, test[0], num_classes, size), test[1], num_classes,
                     ignore_index)
    low, high = bootstrap_ci(lambda i: miou(conf[i].sum(0)), len(conf), draws=draws, seed=seed)
    return dict(metric='mIoU', value=miou(conf.sum(0)), ci_low=low, ci_high=high,
                n_test=len(conf), **extra)


def run_seg_probe(*args, **kwargs) -> dict:
    """:func:`_run_seg_probe` with BLAS limited to one thread (see :func:`.probes.run_probe`)."""
    with threadpool_limits(limits=1), quiet_sklearn():
        return _run_seg_probe(*args, **kwargs)
