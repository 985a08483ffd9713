"""Probes of frozen features for ``learning_signal.py``: scene kNN / linear, per-patch linear
segmentation, and the spectrum baselines they are compared with.

Every probe is fitted on the train scenes and scored on the held-out scenes of one structured
data set (``structured_labels.npz``, see :mod:`eossl.testing.structured_layouts`):

- scene: kNN (``eossl.evaluation.knn_scores``, k = 10) and a linear probe → dominant-class
  accuracy (%), a linear multi-label probe → mAP (%) over the 7 classes;
- segmentation: a linear probe on each cell of the feature map's grid ``(h, w)`` → cell accuracy
  and mIoU (%) against the cell's majority class (class map block-averaged onto the grid).

The linear probes are ridge regressions onto the one-/multi-hot targets (closed form: fast
enough to cross-validate) on standardised features, their L2 weight chosen by 3-fold
cross-validation on the train scenes (:func:`linear_probe`).
Baselines (no network): the per-band mean spectrum of the scene (``log`` S2 reflectance, S1 dB)
and, for segmentation, the same per cell of the grid.
"""
import numpy as np
import torch
import torch.nn.functional as F

from eossl.evaluation.knn import knn_metrics, knn_scores

L2_GRID = (1e-3, 1e-2, 1e-1, 1.0, 10.0)


def _ridge(x: torch.Tensor, y: torch.Tensor, l2: float) -> torch.Tensor:
    """``(D + 1, K)`` least-squares weights (last row: bias, not penalised) of ``x`` ``(N, D)``
    → targets ``y`` ``(N, K)`` with penalty ``l2 · N · |W|²``."""
    x = torch.cat([x, torch.ones(len(x), 1)], 1).double()
    reg = l2 * len(x) * torch.eye(x.shape[1], dtype=x.dtype)
    reg[-1, -1] = 0
    return torch.linalg.solve(x.T @ x + reg, x.T @ y.double())


def _predict(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return (torch.cat([x, torch.ones(len(x), 1)], 1).double() @ w).float()


def _score(scores: torch.Tensor, y: torch.Tensor, multi_label: bool) -> float:
    """Validation score: accuracy, or − squared error (multi-label)."""
    if multi_label:
        return -float(((scores - y) ** 2).mean())
    return float((scores.argmax(1) == y.argmax(1)).float().mean())


def linear_probe(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor,
                 multi_label: bool, folds: int = 3) -> torch.Tensor:
    """Test scores ``(M, K)`` of a ridge-regression probe on standardised features ``(N, D)``
    fitted to one-/multi-hot ``train_y`` ``(N, K)``; its L2 weight (:data:`L2_GRID`) is the one
    that scores best in a ``folds``-fold cross-validation on the train set (interleaved folds)."""
    mean, std = train_x.mean(0), train_x.std(0).clamp_min(1e-6)
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    fold = torch.arange(len(train_x)) % folds

    def cv(l2: float) -> float:
        return sum(_score(_predict(train_x[fold == k], _ridge(train_x[fold != k],
                                                               train_y[fold != k], l2)),
                          train_y[fold == k], multi_label) for k in range(folds))
    return _predict(test_x, _ridge(train_x, train_y, max(L2_GRID, key=cv)))


def scene_probe(train_x: torch.Tensor, test_x: torch.Tensor, labels: dict) -> dict:
    """kNN accuracy, linear accuracy and linear multi-label mAP (%) of ``(N, D)`` features."""
    split = labels['split']
    onehot = torch.eye(labels['multi_hot'].shape[1])[torch.as_tensor(labels['dominant'])]
    multi = torch.as_tensor(labels['multi_hot']).float()
    tr, te = torch.as_tensor(split == 0), torch.as_tensor(split == 1)
    knn = knn_scores(train_x, onehot[tr], test_x, k=10)
    lin = linear_probe(train_x, onehot[tr], test_x, False)
    ml = linear_probe(train_x, multi[tr], test_x, True)
    return dict(knn_acc=knn_metrics(knn, onehot[te], False)['accuracy'],
                linear_acc=knn_metrics(lin, onehot[te], False)['accuracy'],
                linear_mAP=knn_metrics(ml, multi[te], True)['mAP_present'])


def cell_labels(class_map: np.ndarray, grid: tuple[int, int], num_classes: int) -> torch.Tensor:
    """``(N·h·w,)`` majority class of each grid cell of ``class_map`` ``(N, H, W)``."""
    onehot = F.one_hot(torch.as_tensor(class_map).long(), num_classes).permute(0, 3, 1, 2)
    share = F.adaptive_avg_pool2d(onehot.float(), grid)
    return share.argmax(1).flatten()


def _cells(maps: torch.Tensor) -> torch.Tensor:
    """``(N, C, h, w)`` → ``(N·h·w, C)``."""
    return maps.permute(0, 2, 3, 1).reshape(-1, maps.shape[1])


def segmentation_probe(train_maps: torch.Tensor, test_maps: torch.Tensor, labels: dict) -> dict:
    """Cell accuracy and mIoU (%) of a linear probe on feature maps ``(N, C, h, w)``."""
    grid, num_classes = tuple(train_maps.shape[2:]), labels['multi_hot'].shape[1]
    split = labels['split']
    y_train = cell_labels(labels['class_map'][split == 0], grid, num_classes)
    y_test = cell_labels(labels['class_map'][split == 1], grid, num_classes)
    logits = linear_probe(_cells(train_maps.float()), F.one_hot(y_train, num_classes).float(),
                          _cells(test_maps.float()), False)
    pred = logits.argmax(1)
    ious = [((pred == k) & (y_test == k)).sum() / ((pred == k) | (y_test == k)).sum()
            for k in range(num_classes) if (y_test == k).any()]
    return dict(seg_acc=float((pred == y_test).float().mean() * 100),
                seg_mIoU=float(torch.stack(ious).mean() * 100))


def spectra(labels: dict, modality: str) -> torch.Tensor:
    """``(N, B, H, W)`` per-pixel spectra of a modality ('s2': log reflectance, 's1': dB,
    's1s2': both)."""
    parts = {'s2': np.log(labels['s2'].clip(1e-4)), 's1': labels['s1']}
    names = ('s1', 's2') if modality == 's1s2' else (modality,)
    return torch.as_tensor(np.concatenate([parts[n] for n in names], 1)).float()


def probe_all(train_x, test_x, train_maps, test_maps, labels: dict) -> dict:
    """Scene and segmentation metrics of one feature set."""
    return {**scene_probe(train_x, test_x, labels),
            **segmentation_probe(train_maps, test_maps, labels)}


def mean_spectrum_baseline(labels: dict, modality: str, grid: tuple[int, int]) -> dict:
    """Probe metrics of the per-band mean spectrum (scene) and per-cell mean spectrum (grid)."""
    pixels, split = spectra(labels, modality), torch.as_tensor(labels['split'])
    scene = pixels.mean((2, 3))
    cells = F.adaptive_avg_pool2d(pixels, grid)
    return probe_all(scene[split == 0], scene[split == 1], cells[split == 0], cells[split == 1],
                     labels)
