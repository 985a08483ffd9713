"""AlignedMultiViews: student and teacher views are the same pixels up to photometry."""
import numpy as np
import pytest

from eossl.datasets.transforms import AlignedMultiViews
from eossl.registry import TRANSFORMS

GLOBAL = dict(type='EORandomResizedCrop', size=16, scale=(0.3, 1.0))
LOCAL = dict(type='EORandomResizedCrop', size=8, scale=(0.05, 0.3))
FLIP = dict(type='EORandomFlip', prob=0.5, direction=('horizontal', 'vertical'))


def image(bands: int = 4, size: int = 40) -> np.ndarray:
    return np.random.RandomState(1).rand(bands, size, size).astype(np.float32)


def build(**kwargs) -> AlignedMultiViews:
    cfg = dict(type='AlignedMultiViews', global_crop=GLOBAL, local_crop=LOCAL, num_global=2,
               num_local=3, flip=FLIP)
    cfg.update(kwargs)
    return TRANSFORMS.build(cfg)


def test_layout_and_identical_pairs_without_photometry():
    np.random.seed(0)
    views = build()({'img': image(), 'sample_id': 'a'})['img']
    assert len(views) == 10
    assert [v.shape for v in views] == [(4, 16, 16)] * 2 + [(4, 8, 8)] * 3 + \
        [(4, 16, 16)] * 2 + [(4, 8, 8)] * 3
    for student, teacher in zip(views[:5], views[5:]):
        assert np.array_equal(student, teacher)
    # different slots draw different geometry
    assert not np.array_equal(views[0], views[1])


def test_photometry_is_drawn_per_branch_and_band_safe():
    jitter = dict(type='RandomBandBrightnessContrast', brightness=0.4, contrast=0.4, prob=1.0)
    np.random.seed(0)
    views = build(student_pipeline=[jitter], teacher_pipeline=[dict(jitter, prob=0.0)])(
        {'img': image(bands=13)})['img']
    for student, teacher in zip(views[:5], views[5:]):
        assert student.shape == teacher.shape and student.shape[0] == 13
        assert not np.allclose(student, teacher)
        # brightness/contrast is affine per band: the same pixels, linearly related per band
        for band in range(13):
            slope, offset = np.polyfit(teacher[band].ravel(), student[band].ravel(), 1)
            assert np.allclose(slope * teacher[band] + offset, student[band], atol=1e-4)


def test_seeded_runs_repeat():
    transform = build(student_pipeline=[dict(type='RandomGaussianBlur', sigma=(0.5, 1.0),
                                             prob=0.8)])
    np.random.seed(3)
    first = transform({'img': image()})['img']
    np.random.seed(3)
    second = transform({'img': image()})['img']
    assert all(np.array_equal(a, b) for a, b in zip(first, second))


def test_bad_config_and_input_raise():
    with pytest.raises(ValueError, match='local_crop'):
        build(local_crop=None)
    with pytest.raises(ValueError, match='one \\(C, H, W\\) array'):
        build()({'img': [image()]})
