"""Per-band data preprocessors (statistics resolved by band name) for pretraining,
classification and segmentation."""
from .eo_cls_data_preprocessor import EOClsDataPreprocessor
from .eo_data_preprocessor import EODataPreprocessor
from .eo_seg_data_preprocessor import EOSegDataPreprocessor
from .sensor_mix_data_preprocessor import SensorMixDataPreprocessor

__all__ = ['EODataPreprocessor', 'EOClsDataPreprocessor', 'EOSegDataPreprocessor',
           'SensorMixDataPreprocessor']
