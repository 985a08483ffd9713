"""FillMissingBands: a 12-band L2A image in a 13-band L1C model's order, B10 as nodata."""
import numpy as np
import pytest

from eossl.datasets import InvalidSampleError
from eossl.datasets.transforms import FillMissingBands

L2A = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B11', 'B12')
L1C = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12')


def test_missing_band_becomes_nan_and_the_others_move_by_name():
    image = np.arange(12, dtype=np.float32)[:, None, None] * np.ones((12, 2, 3), np.float32)
    out = FillMissingBands(bands=L1C)(dict(img=image, img_bands=L2A))
    assert out['img'].shape == (13, 2, 3) and out['img_bands'] == L1C
    assert np.isnan(out['img'][10]).all()
    assert out['img'][11, 0, 0] == L2A.index('B11') and out['img'][9, 0, 0] == L2A.index('B9')


def test_reordering_and_file_spellings_are_by_name():
    image = np.stack([np.full((1, 1), v, np.float32) for v in (4, 3, 2)])
    out = FillMissingBands(bands=['B2', 'B3', 'B4'])(dict(img=image,
                                                         img_bands=('B04', 'B03', 'B02')))
    assert out['img'].ravel().tolist() == [2, 3, 4]


def test_a_band_outside_the_target_is_an_error_not_a_silent_drop():
    with pytest.raises(InvalidSampleError, match=r"band\(s\) \['B12'\] of 'img' are not among"):
        FillMissingBands(bands=('B2', 'B3'))(dict(img=np.zeros((3, 1, 1), np.float32),
                                                  img_bands=('B2', 'B3', 'B12'),
                                                  sample_id='x'))
