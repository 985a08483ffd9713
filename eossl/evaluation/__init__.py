"""Evaluation of frozen encoders: feature extraction, the weighted kNN probe, the multi-label mAP
whose key names its definition (over the present classes or over all), per-class IoU, and the
frozen-probe benchmark protocol (kNN k = 5, swept logistic regression, floors, bootstrap CIs,
label fractions)."""
from .knn import extract_features, knn_metrics, knn_scores, label_matrix
from .multilabel_ap import MultiLabelAveragePrecision, mean_average_precision
from .per_class_iou import PerClassIoUMetric

__all__ = ['extract_features', 'knn_metrics', 'knn_scores', 'label_matrix',
           'MultiLabelAveragePrecision', 'mean_average_precision', 'PerClassIoUMetric']
