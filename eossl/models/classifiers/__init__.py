"""Downstream classifiers that take EO inputs of one or two modalities."""
from .eo_image_classifier import EOImageClassifier

__all__ = ['EOImageClassifier']
