from .knn import extract_features, knn_metrics, knn_scores, label_matrix

__all__ = ['extract_features', 'knn_metrics', 'knn_scores', 'label_matrix']
