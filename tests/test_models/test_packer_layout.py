"""An eossl (C, H, W) image packed by mmseg's PackSegInputs (made for H×W×C) stops with a
message naming the cause and eossl.PackEOSegInputs; eossl's packer passes."""
import pytest
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

from eossl.registry import DATASETS, MODELS
from eossl.testing import make_fake_dfc2020

S2 = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12')


def batch(root, packer: dict) -> dict:
    dataset = DATASETS.build(dict(
        type='eossl.DFC2020', data_root=str(root), split='test', modalities=('s2', 'dfc'),
        pipeline=[dict(type='eossl.LoadMultiBandImage', modality='s2', bands=S2),
                  dict(type='eossl.LoadLandCoverMap', modality='dfc', label_map='dfc2020'),
                  packer]))
    return pseudo_collate([dataset[0], dataset[1]])


def test_mmseg_packer_on_channel_first_images_names_the_fix(tmp_path):
    make_fake_dfc2020(tmp_path, num_patches=2, size=32, splits=('test', ))
    with DefaultScope.overwrite_default_scope('mmseg'):
        preprocessor = MODELS.build(dict(type='eossl.EOSegDataPreprocessor',
                                         stats='ssl4eo_s12:s2_l1c', bands=S2))
        with pytest.raises(ValueError, match=r"arrives as \(32, 13, 32\).*channel-first.*"
                           r"PackSegInputs transposed.*eossl.PackEOSegInputs"):
            preprocessor(batch(tmp_path, dict(type='mmseg.PackSegInputs')))
        out = preprocessor(batch(tmp_path, dict(type='eossl.PackEOSegInputs')))
    assert out['inputs'].shape == (2, 13, 32, 32)
