"""Evaluation without a trained head: feature extraction and the weighted kNN probe."""
from .knn import extract_features, knn_metrics, knn_scores, label_matrix

__all__ = ['extract_features', 'knn_metrics', 'knn_scores', 'label_matrix']
