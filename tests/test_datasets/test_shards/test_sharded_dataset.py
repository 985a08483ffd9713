"""ShardedDataset with real DataLoaders: ranks x workers, persistent workers, mid-epoch resume."""
import numpy as np
import pytest
import torch.distributed as dist
from torch.utils.data import DataLoader

from eossl.datasets import ShardedDataset
from eossl.datasets.shards import pack_dataset

from ...gloo import run_on_ranks


class Items:
    """A minimal eossl dataset: ``n`` single-band 2x2 rasters with labels."""

    def __init__(self, root, n: int) -> None:
        from eossl.testing import write_geotiff
        self.paths = [str(write_geotiff(root / f'{i}.tif', np.full((2, 2), i, np.uint16)))
                      for i in range(n)]
        self.metainfo, self.skip_invalid = {'classes': ('a', 'b')}, False

    def __len__(self) -> int:
        return len(self.paths)

    def get_data_info(self, i: int) -> dict:
        return dict(sample_id=f's{i}', gt_label=[i % 2], paths={'img': self.paths[i]})


def packed(tmp_path_factory, n: int):
    """``n`` samples in shards of 3."""
    root = tmp_path_factory.mktemp('shards')
    pack_dataset(Items(root / 'files', n), root / 'shards', samples_per_shard=3)
    return root / 'shards'


@pytest.fixture(scope='module')
def shards(tmp_path_factory):
    """13 samples (uneven last shard, not divisible by 2 ranks)."""
    return packed(tmp_path_factory, 13)


def sample_ids(batches) -> list[int]:
    return [item['sample_idx'] for batch in batches for item in batch]


def loader(dataset, batch_size=2, workers=2, **kwargs) -> DataLoader:
    return DataLoader(dataset, batch_size=batch_size, num_workers=workers,
                      collate_fn=list, **kwargs)


def _two_ranks(rank: int, world: int, root, remainder: str, total: int) -> None:
    dataset = ShardedDataset(root, shuffle_buffer=4, remainder=remainder)
    dataset.set_epoch(1, batch_size=2)
    seen = sample_ids(loader(dataset))
    assert seen == dataset.epoch_order().tolist()  # the loader yields the rank's order
    assert len(seen) == len(dataset)
    gathered = [None] * world
    dist.all_gather_object(gathered, seen)
    everything = sum(gathered, [])
    if total % world == 0:  # each sample exactly once over both ranks, whatever the policy
        assert sorted(everything) == list(range(total))
    elif remainder == 'drop':  # disjoint, one sample of 13 left out this epoch
        assert len(set(everything)) == len(everything) == total - 1
    else:  # every sample, exactly one (13 -> 2 x 7) seen twice
        assert set(everything) == set(range(total)) and len(everything) == total + 1


@pytest.mark.parametrize('total,remainder', [(12, 'pad'), (13, 'drop'), (13, 'pad')])
def test_two_ranks_two_workers_cover_the_epoch(tmp_path_factory, total, remainder):
    run_on_ranks(_two_ranks, 2, packed(tmp_path_factory, total), remainder, total)


def test_persistent_workers_follow_the_epoch(shards):
    dataset = ShardedDataset(shards, shuffle_buffer=4)
    stream = loader(dataset, batch_size=3, persistent_workers=True)
    for epoch in (0, 1):
        dataset.set_epoch(epoch, batch_size=3)
        seen = sample_ids(stream)
        assert seen == dataset.epoch_order(epoch).tolist() and sorted(seen) == list(range(13))
    assert dataset.epoch_order(0).tolist() != dataset.epoch_order(1).tolist()


def test_resume_in_the_middle_of_an_epoch_continues_without_repeats(shards):
    dataset = ShardedDataset(shards, shuffle_buffer=4)
    dataset.set_epoch(2, batch_size=2)
    consumed = []
    for step, batch in enumerate(loader(dataset)):
        consumed += [item['sample_idx'] for item in batch]
        if step == 2:  # interrupted after 3 batches
            break
    resumed = ShardedDataset(shards, shuffle_buffer=4)  # a new process would build a new one
    resumed.set_epoch(2, skip=len(consumed), batch_size=2)
    rest = sample_ids(loader(resumed, workers=1))  # even with another number of workers
    assert consumed + rest == dataset.epoch_order(2).tolist()
    assert sorted(consumed + rest) == list(range(13))


def test_items_keep_their_fields(shards):
    item = next(iter(ShardedDataset(shards, shuffle=False)))
    assert (item['sample_id'], item['gt_label'], item['sample_idx']) == ('s0', [0], 0)
    assert item['shard'].endswith('shard-000000.tar') and item['shard_offset'] == 0
    assert ShardedDataset(shards).metainfo == {'classes': ['a', 'b']}
    with pytest.raises(ValueError, match="remainder must be one of"):
        ShardedDataset(shards, remainder='wrap')
    with pytest.raises(FileNotFoundError, match='not a finished eossl shard folder'):
        ShardedDataset(shards.parent / 'files')
