"""DFC2020: layout, scene labels (majority / >= 10 %), and label maps for segmentation."""
import numpy as np
import pytest
import torch

from eossl.datasets import DFC2020, InvalidSampleError
from eossl.datasets.dfc2020 import patch_file
from eossl.datasets.land_cover import (
    DFC2020_CLASSES,
    IGNORE_INDEX,
    LABEL_MAPS,
    remap_labels,
    scene_labels,
)
from eossl.datasets.transforms import EORandomCrop, LoadLandCoverMap, PackEOSegInputs
from eossl.testing import make_fake_dfc2020
from eossl.testing.geotiff_folder import write_geotiff


def test_generator_writes_both_splits_in_the_official_layout(tmp_path):
    files = make_fake_dfc2020(tmp_path, num_patches=2, size=16)
    assert len(files) == 2 * 2 * 4
    assert (tmp_path / 'ROIs0000_test' / 'dfc_0' / 'ROIs0000_test_dfc_0_p1.tif') in files
    dataset = DFC2020(tmp_path, split='test', modalities=('s1', 's2'))
    item = dataset.get_data_info(1)
    assert item['sample_id'] == 'ROIs0000_test_p1'
    assert item['bands']['s2'][-1] == 'B12' and len(item['bands']['s2']) == 13
    assert set(item['paths']) == {'s1', 's2'} and 'gt_label' not in item
    assert dataset.metainfo['classes'] == DFC2020_CLASSES


def test_remap_drops_savanna_snow_and_nodata():
    raw = np.array([[1, 3, 8, 10], [np.nan, 4, 0, 9]])
    assert remap_labels(raw, LABEL_MAPS['dfc2020']).tolist() == \
        [[0, 255, 255, 7], [255, 2, 255, 6]]
    igbp = np.array([5, 7, 9, 14, 15, 17])  # forest, shrub, savanna, mosaic, snow, water
    assert remap_labels(igbp, LABEL_MAPS['sen12ms_igbp']).tolist() == [0, 1, 255, 4, 255, 7]


def test_scene_labels_majority_and_ten_percent_rule():
    # 100 labelled pixels: class 2 x 55, class 0 x 35, class 5 x 10, class 7 x 0; 20 ignored
    classes = np.array([2] * 55 + [0] * 35 + [5] * 10 + [IGNORE_INDEX] * 20)
    assert scene_labels(classes, 8, 'single') == [2]
    assert scene_labels(classes, 8, 'multi') == [0, 2, 5]  # 10 % is enough
    assert scene_labels(classes, 8, 'multi', min_fraction=0.11) == [0, 2]
    assert scene_labels(np.array([4, 1, 1, 4]), 8, 'single') == [1]  # tie -> lower index
    with pytest.raises(InvalidSampleError, match='map.tif: no labelled pixel'):
        scene_labels(np.full(4, IGNORE_INDEX), 8, 'single', source='map.tif')


def test_dataset_derives_scene_labels_from_the_dfc_map(tmp_path):
    make_fake_dfc2020(tmp_path, num_patches=1, size=10, splits=('validation', ))
    dfc = np.full((10, 10), 7, np.uint8)  # Urban everywhere but:
    dfc[:6, :] = 1  # 60 % Forest
    dfc[9, :] = 10  # 10 % Water
    dfc[8, :] = 3  # Savanna: ignored
    write_geotiff(patch_file(tmp_path, 'validation', 'dfc', 0), dfc)
    single = DFC2020(tmp_path, scene_labels='single').get_data_info(0)
    multi = DFC2020(tmp_path, scene_labels='multi').get_data_info(0)
    assert single['gt_label'] == [0]
    # labelled: 60 Forest, 20 Urban, 10 Water of 90 -> Water is 11 %
    assert multi['gt_label'] == [0, 5, 7]
    assert 'dfc' not in multi['paths']  # read for the labels, not loaded by the pipeline


def test_a_missing_modality_file_is_an_error_naming_it(tmp_path):
    make_fake_dfc2020(tmp_path, num_patches=2, size=8, splits=('test', ))
    patch_file(tmp_path, 'test', 's1', 1).unlink()
    with pytest.raises(InvalidSampleError, match=r'ROIs0000_test_s1_0_p1.tif is missing'):
        DFC2020(tmp_path, split='test', modalities=('s1', 's2'))
    assert len(DFC2020(tmp_path, split='test', modalities=('s1', 's2'), skip_invalid=True)) == 1


def test_segmentation_pipeline_packs_a_seg_data_sample(tmp_path):
    make_fake_dfc2020(tmp_path, num_patches=1, size=16, splits=('validation', ))
    item = DFC2020(tmp_path, modalities=('s2', 'dfc')).get_data_info(0)
    results = LoadLandCoverMap(modality='dfc')(dict(item, img=np.zeros((3, 16, 16),
                                                                       np.float32)))
    assert results['gt_seg_map'].shape == (1, 16, 16) and results['gt_seg_map'].dtype == np.int64
    assert set(np.unique(results['gt_seg_map'])) <= set(range(8))
    np.random.seed(0)
    results['img'] = np.arange(16 * 16, dtype=np.float32).reshape(1, 16, 16)
    results['gt_seg_map'] = results['img'].astype(np.int64) % 8
    cropped = EORandomCrop(8, keys=('img', 'gt_seg_map'))(results)
    packed = PackEOSegInputs()(cropped)
    image, label = packed['inputs'], packed['data_samples'].gt_sem_seg.data
    assert image.shape == (1, 8, 8) and label.shape == (1, 8, 8) and label.dtype == torch.int64
    assert torch.equal(label, image.long() % 8)  # the label map was cut with the image
    assert packed['data_samples'].metainfo['img_shape'] == (8, 8)


def test_pack_refuses_a_label_map_of_another_size():
    with pytest.raises(ValueError, match=r'label map \(1, 4, 4\) does not match'):
        PackEOSegInputs()(dict(img=np.zeros((2, 8, 8), np.float32),
                               gt_seg_map=np.zeros((1, 4, 4), np.int64)))
