"""kill -9 during an epoch, then ``--resume``, training PerA from the compact shard layout with
the views cut by the data preprocessor (the GPU path, here on the CPU): the resumed run logs
exactly the uninterrupted run's values and ends with the same weights."""
import pytest
import torch

from eossl.datasets import SSL4EOS12
from eossl.datasets.shards import pack_dataset
from eossl.testing import make_fake_ssl4eo_s12

from .test_resume_exact import final_weights, kill_and_resume, straight_run
from .tiny_recipes import pera_options

PACKED = 'configs/pera/pera_vits16_s2_200e_ssl4eo-packed.py'
S2 = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12')


@pytest.fixture(scope='module')
def packed_root(tmp_path_factory):
    """4 location-seasons (two steps of 2 per epoch), packed compact at the tiny recipe grid."""
    root = tmp_path_factory.mktemp('ssl4eo')
    make_fake_ssl4eo_s12(root / 'files', num_locations=2, seasons=2, size=48,
                         modalities=('s2c',))
    loader = dict(type='LoadMultiBandImage', modality='s2', bands=S2, out_key='img',
                  target_size=48)
    pack_dataset(SSL4EOS12(root / 'files', modality='s2c', seasons='all'), root / 'packed',
                 samples_per_shard=2, layout='compact', loaders=[loader])
    return root / 'packed'


@pytest.mark.slow
def test_packed_pera_with_views_on_the_device_resumes_exactly(tmp_path, packed_root):
    options = pera_options(packed_root)
    del options['train_dataloader.dataset.pipeline.0.target_size']  # decided at packing
    options['train_dataloader.dataset.pipeline.1.batch_augment'] = True
    straight = straight_run(PACKED, options, tmp_path / 'straight')
    resumed = kill_and_resume(PACKED, options, tmp_path / 'killed')
    assert sorted(straight) == list(range(1, 7)) and sorted(resumed) == [5, 6]
    for step in (5, 6):
        assert resumed[step] == straight[step], step  # bit-identical, every logged value
    a, b = final_weights(tmp_path / 'straight'), final_weights(tmp_path / 'killed')
    for key in a:
        assert torch.equal(a[key], b[key]), key
