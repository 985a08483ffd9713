from .eo_data_preprocessor import EODataPreprocessor

__all__ = ['EODataPreprocessor']
