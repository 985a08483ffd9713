"""Band-safe data transforms for any number of bands: loading, geometric, photometric,
masking and packing (each registered in ``eossl.registry.TRANSFORMS``)."""
from .aligned_views import AlignedMultiViews
from .band_fill import FillMissingBands
from .formatting import PackEOInputs
from .geobench_loading import LoadGeoBenchSample
from .geometric import (
    EOCenterCrop,
    EORandomCrop,
    EORandomFlip,
    EORandomResizedCrop,
    EOResize,
    RandomRot90,
)
from .land_cover_loading import LoadLandCoverMap
from .loading import LoadMultiBandImage, LoadPairedModalities
from .masking import DisjointMaskGenerator
from .mmearth_loading import LoadMMEarthSample
from .packed_loading import LoadPackedBands
from .photometric import (
    ClipValues,
    PerSampleMaxNormalize,
    RandomBandBrightnessContrast,
    RandomBandDropout,
    RandomGaussianBlur,
    RandomGrayscaleEO,
)
from .rgb_jitter import RandomRGBColorJitter
from .seg_formatting import PackEOSegInputs
from .two_sigma_scale import TwoSigmaScale

__all__ = [
    'LoadMultiBandImage', 'LoadPairedModalities', 'EORandomResizedCrop', 'EORandomCrop',
    'EOCenterCrop', 'EOResize', 'EORandomFlip', 'RandomRot90', 'RandomBandBrightnessContrast',
    'RandomGaussianBlur', 'RandomBandDropout', 'RandomGrayscaleEO', 'ClipValues',
    'PerSampleMaxNormalize', 'PackEOInputs', 'AlignedMultiViews', 'DisjointMaskGenerator',
    'LoadMMEarthSample', 'LoadPackedBands', 'FillMissingBands', 'LoadLandCoverMap',
    'PackEOSegInputs', 'LoadGeoBenchSample', 'TwoSigmaScale', 'RandomRGBColorJitter'
]
