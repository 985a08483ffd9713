"""DataStateHook in a real mmengine Runner: epochs reach the streaming dataset, and a run killed
in the middle of an epoch resumes from its checkpoint without repeating or skipping a sample."""
import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner

from eossl.datasets.shards import pack_dataset
from eossl.testing import write_geotiff

BATCH, SAMPLES = 2, 10  # 5 iterations per epoch


class Items:
    """``SAMPLES`` one-pixel rasters whose value is their index."""

    def __init__(self, root) -> None:
        self.paths = [str(write_geotiff(root / f'{i}.tif', np.full((1, 1), i, np.float32)))
                      for i in range(SAMPLES)]
        self.metainfo, self.skip_invalid = {}, False

    def __len__(self) -> int:
        return SAMPLES

    def get_data_info(self, i: int) -> dict:
        return dict(sample_id=str(i), paths={'img': self.paths[i]})


class Toy(BaseModel):
    """A one-weight model; its loss needs the loaded pixels, so the pipeline really ran."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1))

    def forward(self, img, mode='loss', **fields):
        pixels = torch.as_tensor(np.stack(img)).float()
        return {'loss': (self.weight * pixels).mean()}


class Record(Hook):
    """Remembers the samples of every iteration and stops the run at ``crash_at``."""

    def __init__(self, crash_at: int | None = None) -> None:
        self.seen: list[tuple[int, int]] = []  # (epoch, sample)
        self.crash_at = crash_at

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.seen += [(runner.epoch, int(s)) for s in data_batch['sample_idx']]
        if runner.iter + 1 == self.crash_at:
            raise KeyboardInterrupt('simulated preemption')


def make_runner(work_dir, shards, record: Record, resume: bool = False) -> Runner:
    pipeline = [dict(type='LoadMultiBandImage', modality='img', out_key='img')]
    return Runner(
        model=Toy(), work_dir=str(work_dir), resume=resume,
        train_dataloader=dict(batch_size=BATCH, num_workers=2, sampler=None,
                              collate_fn=dict(type='pseudo_collate'),
                              dataset=dict(type='ShardedDataset', data_root=str(shards),
                                           shuffle_buffer=4, pipeline=pipeline)),
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(sampler_seed=dict(type='DataStateHook'),
                           checkpoint=dict(type='CheckpointHook', interval=3, by_epoch=False)),
        custom_hooks=[record], default_scope='eossl')


@pytest.fixture
def shards(tmp_path):
    pack_dataset(Items(tmp_path / 'files'), tmp_path / 'shards', samples_per_shard=4)
    return tmp_path / 'shards'


def test_epochs_reach_the_dataset_and_cover_it(tmp_path, shards):
    record = Record()
    make_runner(tmp_path / 'work', shards, record).train()
    for epoch in (0, 1):
        assert sorted(s for e, s in record.seen if e == epoch) == list(range(SAMPLES))
    assert [s for e, s in record.seen if e == 0] != [s for e, s in record.seen if e == 1]


def test_resume_in_the_middle_of_an_epoch(tmp_path, shards):
    first = Record(crash_at=8)  # checkpoint after iteration 6 (epoch 1, its 1st batch), dies at 8
    with pytest.raises(KeyboardInterrupt):
        make_runner(tmp_path / 'work', shards, first).train()
    second = Record()
    make_runner(tmp_path / 'work', shards, second, resume=True).train()
    before_checkpoint = first.seen[:6 * BATCH]
    assert [e for e, _ in second.seen] == [1] * (SAMPLES - BATCH)  # the rest of epoch 1 only
    for epoch in (0, 1):
        samples = [s for e, s in before_checkpoint + second.seen if e == epoch]
        assert sorted(samples) == list(range(SAMPLES))  # each once: no repeat, none missed
    uninterrupted = Record()
    make_runner(tmp_path / 'again', shards, uninterrupted).train()
    assert before_checkpoint + second.seen == uninterrupted.seen  # and in the same order
