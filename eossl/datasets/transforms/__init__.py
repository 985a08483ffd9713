from .formatting import PackEOInputs
from .geometric import (EOCenterCrop, EORandomCrop, EORandomFlip, EORandomResizedCrop, EOResize,
                        RandomRot90)
from .loading import LoadMultiBandImage, LoadPairedModalities
from .photometric import (ClipValues, PerSampleMaxNormalize, RandomBandBrightnessContrast,
                          RandomBandDropout, RandomGaussianBlur, RandomGrayscaleEO)
from .aligned_views import AlignedMultiViews
from .masking import DisjointMaskGenerator
from .mmearth_loading import LoadMMEarthSample
from .band_fill import FillMissingBands
from .land_cover_loading import LoadLandCoverMap
from .seg_formatting import PackEOSegInputs

__all__ = [
    'LoadMultiBandImage', 'LoadPairedModalities', 'EORandomResizedCrop', 'EORandomCrop',
    'EOCenterCrop', 'EOResize', 'EORandomFlip', 'RandomRot90', 'RandomBandBrightnessContrast',
    'RandomGaussianBlur', 'RandomBandDropout', 'RandomGrayscaleEO', 'ClipValues',
    'PerSampleMaxNormalize', 'PackEOInputs', 'AlignedMultiViews', 'DisjointMaskGenerator',
    'LoadMMEarthSample', 'FillMissingBands', 'LoadLandCoverMap', 'PackEOSegInputs'
]
