from .eo_image_classifier import EOImageClassifier

__all__ = ['EOImageClassifier']
