"""Epoch plans: equal per-rank shares, exact cover, shuffle buffer, batches to workers."""
from collections import Counter

import numpy as np
import pytest

from eossl.datasets.shards.epoch_plan import (
    buffer_shuffle,
    rank_order,
    samples_per_rank,
    worker_positions,
)

COUNTS = np.array([4, 3, 5, 1])  # 13 samples in 4 uneven shards


def orders(world_size: int, remainder: str, epoch: int = 0, buffer: int = 4) -> list:
    return [rank_order(COUNTS, rank=r, world_size=world_size, epoch=epoch, seed=7,
                       buffer=buffer, remainder=remainder) for r in range(world_size)]


@pytest.mark.parametrize('world_size', [1, 2, 3, 4, 13])
def test_drop_reads_each_sample_at_most_once_with_equal_shares(world_size):
    ranks = orders(world_size, 'drop')
    assert {len(r) for r in ranks} == {13 // world_size}
    seen = np.concatenate(ranks)
    assert len(set(seen.tolist())) == len(seen) == world_size * (13 // world_size)


@pytest.mark.parametrize('world_size', [1, 2, 3, 4, 5])
def test_pad_covers_every_sample_and_repeats_fewer_than_world_size(world_size):
    ranks = orders(world_size, 'pad')
    share = samples_per_rank(13, world_size, 'pad')
    assert share == -(-13 // world_size) and {len(r) for r in ranks} == {share}
    counts = Counter(np.concatenate(ranks).tolist())
    assert set(counts) == set(range(13))
    assert sum(c - 1 for c in counts.values()) == world_size * share - 13 < world_size


def test_orders_are_deterministic_per_epoch_and_differ_between_epochs():
    assert all(np.array_equal(a, b) for a, b in zip(orders(2, 'pad'), orders(2, 'pad')))
    assert not np.array_equal(np.concatenate(orders(2, 'pad', epoch=0)),
                              np.concatenate(orders(2, 'pad', epoch=1)))
    plain = rank_order(COUNTS, rank=0, world_size=1, epoch=3, seed=7, shuffle=False)
    np.testing.assert_array_equal(plain, np.arange(13))


def test_buffer_shuffle_is_a_local_permutation():
    sequence = np.arange(200)
    out = buffer_shuffle(sequence, 8, np.random.default_rng(0))
    assert sorted(out.tolist()) == sequence.tolist() and not np.array_equal(out, sequence)
    # an item cannot leave before it enters the buffer: output position >= input position - 7
    position = np.argsort(out)
    assert (position >= sequence - 7).all()
    np.testing.assert_array_equal(buffer_shuffle(sequence, 1, np.random.default_rng(0)), sequence)


@pytest.mark.parametrize('length,batch,workers', [(10, 3, 2), (7, 2, 3), (4, 4, 3), (5, 1, 1)])
def test_workers_take_whole_batches_in_turn(length, batch, workers):
    parts = [worker_positions(length, batch, w, workers) for w in range(workers)]
    # the DataLoader collects batch j from worker j % workers: rebuild that stream
    batches = [np.array_split(p, np.arange(batch, len(p), batch)) if len(p) else []
               for p in parts]
    stream, j = [], 0
    while any(j // workers < len(b) for b in batches):
        w = j % workers
        if j // workers < len(batches[w]):
            stream += batches[w][j // workers].tolist()
        j += 1
    assert stream == list(range(length))
