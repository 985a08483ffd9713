"""Evaluation: feature extraction, the weighted kNN probe, and the multi-label mAP whose key
names its definition (over the present classes or over all), and per-class IoU."""
from .knn import extract_features, knn_metrics, knn_scores, label_matrix
from .multilabel_ap import MultiLabelAveragePrecision, mean_average_precision
from .per_class_iou import PerClassIoUMetric

__all__ = ['extract_features', 'knn_metrics', 'knn_scores', 'label_matrix',
           'MultiLabelAveragePrecision', 'mean_average_precision', 'PerClassIoUMetric']
