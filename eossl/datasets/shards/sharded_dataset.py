"""``ShardedDataset``: stream a shard folder through the usual eossl pipeline."""
import ctypes
import logging
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.sharedctypes import RawArray
from pathlib import Path

import numpy as np
import torch.distributed as dist
from mmengine.dataset import Compose
from mmengine.logging import print_log
from torch.utils.data import IterableDataset, get_worker_info

from eossl.datasets.errors import InvalidSampleError
from eossl.registry import DATASETS

from .epoch_plan import REMAINDERS, rank_order, samples_per_rank, worker_positions
from .index import ShardIndex
from .reader import ShardReader

_EPOCH, _SKIP, _BATCH = range(3)


@DATASETS.register_module()
class ShardedDataset(IterableDataset):
    """Samples packed by ``tools/dataset_converters/pack_shards.py``, streamed per rank/worker.

    Each item is decoded into the dataset item it was packed from, with in-memory rasters
    where it had file paths, and runs through ``pipeline``: a recipe switches from files to
    shards by replacing ``train_dataloader.dataset`` (and setting ``sampler=None``, since this
    dataset splits the data between processes itself).

    Epochs (:mod:`.epoch_plan`): every rank reads the same number of samples,
    ``ceil(N / R)`` (``remainder='pad'``, up to ``R - 1`` samples twice) or ``floor(N / R)``
    (``'drop'``), each sample once per epoch otherwise; DataLoader workers take whole batches in
    turn, so the loader yields the rank's order exactly. Shards are shuffled per epoch and a
    shuffle buffer mixes samples within a rank, from ``(seed, epoch)``.

    The epoch, the samples of it already consumed and the DataLoader batch size are set with
    :meth:`set_epoch`, normally by :class:`~eossl.engine.hooks.DataStateHook` (the
    ``sampler_seed`` hook of eossl's default runtime), which also stores them in checkpoints so
    that a run resumed in the middle of an epoch continues with the next unseen batch. They live
    in shared memory, so persistent DataLoader workers see them too. Only for
    ``EpochBasedTrainLoop``.

    Args:
        data_root: the shard folder (holding ``index.json``).
        pipeline: transforms applied to each decoded item, as for any eossl dataset.
        shuffle: shuffle shard order and samples per epoch (False: stored order).
        shuffle_buffer: size of the per-rank shuffle buffer, in samples (≤ 1: none).
        seed: seed of the epoch orders; all ranks must use the same.
        remainder: ``'pad'`` or ``'drop'`` (see above).
        verify_checksums: check each sample's sha256 before decoding.
        skip_invalid: a sample raising :class:`InvalidSampleError` (including a corrupt shard,
            :class:`~.tar_io.ShardCorruptError`) is logged in ``invalid_samples`` and replaced by
            another sample drawn from ``(seed, epoch, sample)``, keeping the epoch length; when
            False the error propagates, naming the shard and byte offset.
        max_refetch: replacement draws before giving up.
        metainfo: overrides of the packed dataset's metainfo.
        lazy_init: do not read ``index.json`` until first use.
    """

    def __init__(self, data_root: str | Path, pipeline: Sequence[dict | Callable] = (), *,
                 shuffle: bool = True, shuffle_buffer: int = 1000, seed: int = 0,
                 remainder: str = 'pad', verify_checksums: bool = False,
                 skip_invalid: bool = False, max_refetch: int = 100,
                 metainfo: Mapping | None = None, lazy_init: bool = False) -> None:
        if remainder not in REMAINDERS:
            raise ValueError(f'ShardedDataset: remainder must be one of {REMAINDERS}, got '
                             f'{remainder!r}')
        self.data_root = str(data_root)
        self.pipeline = Compose(list(pipeline))
        self.shuffle, self.shuffle_buffer, self.seed = shuffle, shuffle_buffer, seed
        self.remainder, self.skip_invalid, self.max_refetch = remainder, skip_invalid, max_refetch
        self._metainfo = dict(metainfo or {})
        self.invalid_samples: dict[str, str] = {}
        self.index: ShardIndex | None = None
        self._reader = ShardReader(verify_checksums=verify_checksums)
        # shared with DataLoader workers (also persistent ones): epoch, skip, batch size
        self._state = RawArray(ctypes.c_int64, 3)
        self._state[_BATCH] = 1
        self._rank, self._world_size = 0, 1
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        """Read ``index.json`` (once)."""
        if self.index is None:
            self.index = ShardIndex(self.data_root)

    @property
    def metainfo(self) -> dict:
        """The packed dataset's metainfo, updated with the ``metainfo`` argument."""
        self.full_init()
        return {**self.index.metainfo, **self._metainfo}

    @property
    def num_samples(self) -> int:
        """Samples in the shards (all ranks together)."""
        self.full_init()
        return self.index.num_samples

    def _dist_info(self) -> tuple[int, int]:
        """``(rank, world size)``; remembered, for workers started without the process group."""
        if dist.is_available() and dist.is_initialized():
            self._rank, self._world_size = dist.get_rank(), dist.get_world_size()
        return self._rank, self._world_size

    def __len__(self) -> int:
        """Samples this rank reads per epoch."""
        return samples_per_rank(self.num_samples, self._dist_info()[1], self.remainder)

    def set_epoch(self, epoch: int, skip: int = 0, batch_size: int | None = None) -> None:
        """Start ``epoch`` after its first ``skip`` samples (of this rank); ``batch_size`` is the
        DataLoader's, which the batch-to-worker assignment needs."""
        if epoch < 0 or skip < 0 or (batch_size is not None and batch_size < 1):
            raise ValueError(f'ShardedDataset.set_epoch: need epoch >= 0, skip >= 0, '
                             f'batch_size >= 1, got {epoch}, {skip}, {batch_size}')
        self._dist_info()
        self._state[_EPOCH], self._state[_SKIP] = epoch, skip
        if batch_size is not None:
            self._state[_BATCH] = batch_size

    def epoch_order(self, epoch: int | None = None) -> np.ndarray:
        """Global sample numbers this rank reads in ``epoch`` (default: the current one)."""
        self.full_init()
        rank, world_size = self._dist_info()
        return rank_order(self.index.counts, rank=rank, world_size=world_size,
                          epoch=self._state[_EPOCH] if epoch is None else epoch, seed=self.seed,
                          shuffle=self.shuffle, buffer=self.shuffle_buffer,
                          remainder=self.remainder)

    def __iter__(self):
        """This worker's share of the rest of the current epoch, through the pipeline."""
        self.full_init()
        epoch, skip, batch_size = self._state[:]
        info = get_worker_info()
        worker, num_workers = (info.id, info.num_workers) if info is not None else (0, 1)
        order = self.epoch_order(epoch)[skip:]
        for position in worker_positions(len(order), batch_size, worker, num_workers):
            yield self._prepare(int(order[position]), epoch)

    def _prepare(self, sample: int, epoch: int) -> dict:
        """The pipeline output of global sample ``sample``, or of a replacement (see
        ``skip_invalid``)."""
        for attempt in range(self.max_refetch + 1):
            location = self.index.locate(sample)
            try:
                item = self._reader.load(location)
                item['sample_idx'] = sample
                result = self.pipeline(item)
            except InvalidSampleError as err:
                if not self.skip_invalid:
                    raise
                self.invalid_samples[location.sample_id] = str(err)
                print_log(f'ShardedDataset: skipping invalid sample {location.sample_id}: {err} '
                          f'({len(self.invalid_samples)} invalid so far)', logger='current',
                          level=logging.WARNING)
                result = None
            if result is not None:
                return result
            rng = np.random.default_rng([self.seed, epoch, sample, attempt])
            sample = int(rng.integers(self.index.num_samples))
        raise RuntimeError(f'ShardedDataset: no valid sample after {self.max_refetch} '
                           f'replacement draws in {self.data_root}')

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(data_root={self.data_root!r}, shuffle={self.shuffle}, '
                f'shuffle_buffer={self.shuffle_buffer}, remainder={self.remainder!r})')
