"""The disk fills while a checkpoint, a litdata chunk or a scene prediction is written (a real
tmpfs of a few hundred KiB): the error names the file and the free space, no partial file is
left where a complete one is expected, what was complete before stays intact and the work
continues once there is room."""
import re

import numpy as np
import pytest
import torch

from eossl.apis import init_model, predict_scene
from eossl.checkpoints.integrity import integrity_problem
from eossl.datasets.shards import pack_dataset, verify_shards
from eossl.disk_writes import DiskWriteError
from eossl.testing import make_fake_ssl4eo_s12, write_geotiff
from eossl.testing.scenes import make_fake_scene

from ..test_apis.conftest import tiny_segmentor
from .forked_training import logged_steps, resume_forked, train_forked
from .small_disk import resize, small_disk
from .tiny_recipes import PERA, pera_options

SIZE = r'\d+(\.\d)? (B|KiB|MiB)'
FREE = (rf'\(({SIZE} written before it failed, )?{SIZE} free on its file system once deleted\); '
        r'no partial file was left')


def partial_files(folder) -> list:
    return [p for p in folder.rglob('*') if p.name.endswith('.partial') or
            p.name.endswith('.writing')]


@pytest.mark.slow
def test_checkpoint_on_a_full_disk_keeps_the_previous_one_and_resumes_exactly(tmp_path,
                                                                              capfd):
    data = tmp_path / 'data'
    make_fake_ssl4eo_s12(data, num_locations=4, seasons=2, size=48, modalities=('s2c',))
    options = pera_options(data)
    assert train_forked(PERA, options, tmp_path / 'straight') == 0
    expected = logged_steps(tmp_path / 'straight')
    size = (tmp_path / 'straight' / 'epoch_1.pth').stat().st_size
    with small_disk(tmp_path / 'full', (size * 3 // 2) // 1024) as work_dir:  # one fits
        assert train_forked(PERA, options, work_dir) == 1
        err = capfd.readouterr().err
        assert re.search(rf'could not write {work_dir}/epoch_2\.pth: the disk is full {FREE}; '
                         rf'last_checkpoint still names the previous checkpoint '
                         rf'\({work_dir}/epoch_1\.pth\), which --resume continues from', err)
        assert not partial_files(work_dir) and not (work_dir / 'epoch_2.pth').exists()
        assert integrity_problem(str(work_dir / 'epoch_1.pth')) is None
        assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'epoch_1.pth')
        resize(work_dir, 4 * size // 1024)
        resume_forked(PERA, options, work_dir, expected, 3)


class Rasters:
    """``n`` incompressible 32 x 32 float32 rasters (4 KiB each), an eossl-like dataset."""

    def __init__(self, root, n: int) -> None:
        rng = np.random.default_rng(0)
        self.paths = [str(write_geotiff(root / f'{i}.tif', rng.random((32, 32), np.float32)))
                      for i in range(n)]
        self.metainfo, self.skip_invalid = {}, False

    def __len__(self) -> int:
        return len(self.paths)

    def get_data_info(self, i: int) -> dict:
        return dict(sample_id=f's{i}', paths={'img': self.paths[i]})


@pytest.mark.parametrize('size_kib,failed', [(28, r'1\.writing \(chunk 1, items 3-5\)'),
                                             (40, r'1\.json')],
                         ids=['in-a-chunk', 'in-its-record'])
def test_litdata_chunks_on_a_full_disk_keep_the_finished_ones_and_a_rerun_completes(
        tmp_path, size_kib, failed):
    dataset = Rasters(tmp_path / 'files', 12)  # 4 chunks of 3 samples, ~13 KiB each
    with small_disk(tmp_path / 'full', size_kib) as out:
        with pytest.raises(DiskWriteError, match=rf'could not write {out}/\.parts/{failed}: the '
                           rf'disk is full {FREE}'):
            pack_dataset(dataset, out, samples_per_shard=3)
        assert not partial_files(out) and not (out / 'index.json').exists()
        assert (out / '.parts' / '0.json').is_file()  # finished before the fault, kept
        resize(out, 200)
        index = pack_dataset(dataset, out, samples_per_shard=3)
        assert index['eossl']['num_samples'] == 12
        verify_shards(out)  # every chunk's sha256, the two written before the fault included


@pytest.fixture(scope='module')
def segmentor():
    torch.manual_seed(0)
    return init_model(tiny_segmentor(num_classes=4))


def test_scene_prediction_on_a_full_disk_leaves_the_previous_output_and_no_partial_file(
        tmp_path, segmentor):
    scene = make_fake_scene(tmp_path / 'scene.tif', 256, 320, seed=1)
    with small_disk(tmp_path / 'full', 200) as out_dir:  # probs: 4 float32 bands, ~1.2 MiB
        out = out_dir / 'probs.tif'
        out.write_bytes(b'the previous output')
        with pytest.raises(DiskWriteError, match=rf'could not write {out}: .* {FREE}'):
            predict_scene(segmentor, scene, out, tile=128, overlap=64, probs=True,
                          progress=False, overwrite=True)
        assert out.read_bytes() == b'the previous output'
        assert sorted(p.name for p in out_dir.iterdir()) == ['probs.tif']
