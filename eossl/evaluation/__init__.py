"""Evaluation of frozen encoders: the kNN probe, the frozen-probe benchmark protocol (kNN k = 5,
swept logistic regression, floors, bootstrap CIs, label fractions), aggregation and reports."""
from .knn import extract_features, knn_metrics, knn_scores, label_matrix

__all__ = ['extract_features', 'knn_metrics', 'knn_scores', 'label_matrix']
