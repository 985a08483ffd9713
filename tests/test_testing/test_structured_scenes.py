"""Structured scenes: seeded, read by the datasets, class spectra separable only on average."""
import numpy as np

from eossl.testing import (
    make_scenes,
    make_structured_mmearth,
    make_structured_sen12ms,
    make_structured_ssl4eo_s12,
)
from eossl.testing.structured_layouts import LABELS_FILE
from eossl.testing.structured_scenes import CLASSES, DYNAMIC_WORLD, SPECTRA, band_mean_features


def test_seeded_determinism():
    a, b, c = make_scenes(3, 24, seed=1), make_scenes(3, 24, seed=1), make_scenes(3, 24, seed=2)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.s2, y.s2)
        np.testing.assert_array_equal(x.s1, y.s1)
        np.testing.assert_array_equal(x.class_map, y.class_map)
    assert not np.array_equal(a[0].s2, c[0].s2)
    assert a[0].s2.shape == (13, 24, 24) and a[0].s1.shape == (2, 24, 24)


def test_classes_separable_on_average_not_per_scene():
    scenes = make_scenes(200, 24, seed=0)
    dominant = np.array([s.dominant for s in scenes])
    assert len(np.unique(dominant)) == len(CLASSES)
    # averaged over scenes, each class's pixels are closest to its own reference spectrum
    pixels = np.concatenate([s.s2.reshape(13, -1).T for s in scenes])
    labels = np.concatenate([s.class_map.ravel() for s in scenes])
    centroids = np.stack([pixels[labels == k].mean(0) for k in range(len(CLASSES))])
    nearest = ((centroids[:, None] - SPECTRA[None]) ** 2).sum(-1).argmin(1)
    np.testing.assert_array_equal(nearest, np.arange(len(CLASSES)))
    # but a scene's mean spectrum is far from a lookup: nearest reference spectrum is often wrong
    means = band_mean_features(scenes)[:, :13]
    lookup = ((means[:, None] - SPECTRA[None]) ** 2).sum(-1).argmin(1)
    assert 0.2 < (lookup == dominant).mean() < 0.75
    # and scenes mix classes
    assert np.mean([s.multi_hot().sum() for s in scenes]) > 1.5
    # S1 is correlated with the class: water darkest, urban brightest in VV
    vv = np.concatenate([s.s1[0].ravel() for s in scenes])
    per_class = [vv[labels == k].mean() for k in range(len(CLASSES))]
    assert np.argmin(per_class) == CLASSES.index('water')
    assert np.argmax(per_class) == CLASSES.index('urban')


def test_ssl4eo_s12_layout_loads(tmp_path):
    from eossl.datasets import SSL4EOS12
    from eossl.datasets.transforms import LoadMultiBandImage
    out = make_structured_ssl4eo_s12(tmp_path, num_train=3, num_test=2, size=24)
    labels = np.load(out['labels'])
    train = SSL4EOS12(tmp_path, modality='s2c', labels_file='ssl4eo_s12_ml_labels.json',
                      split_file=str(out['split_train']))
    test = SSL4EOS12(tmp_path, modality='s1', split_file=str(out['split_test']))
    assert len(train) == 3 and len(test) == 2
    info = train.get_data_info(0)
    row = list(labels['sample_id']).index(info['sample_id'])
    assert info['gt_label'] == sorted(DYNAMIC_WORLD[labels['multi_hot'][row] == 1].tolist())
    loaded = LoadMultiBandImage(modality='s2', target_size=24)(dict(info))['img']
    # (C, H, W) reflectance × 10⁴; the 10 m band B2 as generated
    np.testing.assert_allclose(loaded[1], labels['s2'][row, 1] * 1e4, atol=0.51)


def test_sen12ms_layout_loads(tmp_path):
    from eossl.datasets import SEN12MS
    out = make_structured_sen12ms(tmp_path, num_train=3, num_test=2, size=16)
    train = SEN12MS(tmp_path, split_file=str(out['split_train']))
    test = SEN12MS(tmp_path, split_file=str(out['split_test']))
    assert len(train) == 3 and len(test) == 2
    labels = np.load(tmp_path / LABELS_FILE)
    assert set(labels['sample_id'][labels['split'] == 1]) == {
        test.get_data_info(i)['sample_id'] for i in range(2)}


def test_mmearth_layout_loads(tmp_path):
    from eossl.datasets import MMEarth
    out = make_structured_mmearth(tmp_path, num_train=3, num_test=2, size=16)
    assert len(MMEarth(str(out['folder']), split='train')) == 3
    test = MMEarth(str(out['folder']), split='test')
    assert [test.get_data_info(i)['h5_index'] for i in range(2)] == [3, 4]
