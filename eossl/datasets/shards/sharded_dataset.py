"""``ShardStream``: litdata's ``StreamingDataset`` over packed eossl items, through the usual
eossl pipeline."""
import ctypes
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.sharedctypes import RawArray
from pathlib import Path

import numpy as np
from mmengine.dataset import Compose
from mmengine.logging import print_log

from eossl.datasets.errors import InvalidSampleError

from .engine import INDEX_FILE, ChunkedIndex, StreamingDataset, WorkerEnv
from .sample_codec import ShardCorruptError, decode_sample
from .verified_samples import VerifiedSamples
from .zero_copy_loader import PyTreeLoader

_EPOCH, _SKIP, _BATCH = range(3)
CHECKSUM_MODES = ('first_read', 'every_read', True, False)


class ShardStream(StreamingDataset):
    """Samples packed by ``pack_shards.py``, streamed per rank and DataLoader worker by litdata.

    Each sample is decoded into the dataset item it was packed from, with in-memory rasters
    where it had file paths (``files`` layout) or its decoded arrays under ``packed``
    (``compact`` layout, read by ``LoadPackedBands``), and runs through ``pipeline``; recipes
    name it ``type='ShardedDataset'`` (with ``sampler=None``: litdata splits the data itself).
    A sample's pixel bytes are read where they lie, as a view of the chunk's memory map
    (:class:`~.zero_copy_loader.PyTreeLoader`), not copied out of it by litdata.

    Epochs are litdata's elastic plan: one canonical order of all samples per ``(seed, epoch)``
    (chunks shuffled, items shuffled within a chunk), independent of the number of ranks,
    workers and the batch size, cut into batches that go to ranks in turn and, within a rank, to
    DataLoader workers in turn — the order in which PyTorch's DataLoader collects them. After
    ``k`` steps on ``R`` ranks of batch ``B`` the first ``k·R·B`` samples of that order are
    consumed, so :meth:`set_epoch` with ``skip = k·B`` continues exactly where a run stopped,
    with the same or another number of workers. With more than one rank, litdata's ``drop_last``
    keeps the steps equal: the last ``N mod (R·W·B)`` samples of an epoch's order (different ones
    every epoch) are left out of that epoch; every other sample is read once.

    The epoch, the samples of it already consumed (per rank) and the batch size are set with
    :meth:`set_epoch`, normally by :class:`~eossl.engine.hooks.DataStateHook`, which also stores
    them in checkpoints. They live in shared memory, so persistent workers see them too.

    Args:
        data_root: the packed folder, local or remote (``s3://bucket/prefix``, ``gs://``, …;
            S3-compatible stores through ``AWS_ENDPOINT_URL``).
        pipeline: transforms applied to each decoded item, as for any eossl dataset.
        shuffle: shuffle chunk and sample order per epoch (False: stored order).
        shuffle_buffer: samples of a chunk shuffled together (litdata's
            ``item_shuffle_window``: blocks of this size are shuffled, then the samples within
            each; None: litdata's 256, 0: the whole chunk).
        seed: seed of the epoch orders; all ranks must use the same.
        cache_dir: local folder for the chunks of a remote ``data_root`` (default: litdata's).
        max_cache_size: bound of that cache (``'50GB'``; litdata evicts chunks read past it).
        skip_invalid: a sample raising :class:`InvalidSampleError` (a corrupt chunk included)
            is logged in ``invalid_samples`` and replaced by another drawn from ``(seed, epoch,
            sample)``; when False the error propagates, naming the chunk file.
        max_refetch: replacement draws before giving up.
        check_checksum: when to check a sample's pixel bytes against the checksum its record
            carries (xxh3-64 in the compact layout, 0.04–0.2 ms per 1.8 MB PerA sample on one
            core; CRC-32 in the files layout and in compact shards packed before xxh3-64,
            0.33–1.1 ms for the same bytes; :mod:`.checksum`). ``'first_read'`` (default):
            once per sample and chunk file in this run — a sample read again from the same,
            unchanged chunk file (later epochs) is not hashed again; a rewritten, replaced or
            re-downloaded chunk file is checked anew (:class:`~.verified_samples.VerifiedSamples`).
            ``'every_read'`` (or True): on every read. False: never; chunk sizes are still
            checked on first use and ``eossl-pack-shards --verify`` still checks every chunk's
            sha256.
        metainfo: overrides of the packed dataset's metainfo.
        storage_options: passed to litdata's object-store client.
    """

    @classmethod
    def write_fake_data(cls, root: Path, dataset: dict, size: int) -> Path:
        """Write a tiny fake SSL4EO-S12 S2 L1C (4 locations, ``size`` px) under ``root``, pack
        it into shards of 2 samples for ``--preset cpu-tiny`` and return the shards' folder."""
        from eossl.datasets.ssl4eo_s12 import SSL4EOS12
        from eossl.testing import make_fake_ssl4eo_s12

        from .writer import pack_dataset
        make_fake_ssl4eo_s12(root / 'ssl4eo-s12', num_locations=4, seasons=1, size=size,
                             modalities=('s2c', ))
        pack_dataset(SSL4EOS12(root / 'ssl4eo-s12', modality='s2c'), root / 's2c',
                     samples_per_shard=2)
        return root / 's2c'

    def __init__(self, data_root: str | Path, pipeline: Sequence[dict | Callable] = (), *,
                 shuffle: bool = True, shuffle_buffer: int | None = None, seed: int = 0,
                 cache_dir: str | None = None, max_cache_size: str | int | None = None,
                 skip_invalid: bool = False,
                 max_refetch: int = 100, check_checksum: bool | str = 'first_read',
                 metainfo: Mapping | None = None,
                 storage_options: dict | None = None) -> None:
        self.data_root = str(data_root)
        if '://' not in self.data_root and not (Path(self.data_root) / INDEX_FILE).is_file():
            raise FileNotFoundError(
                f'{Path(self.data_root) / INDEX_FILE} does not exist: {self.data_root} is not a '
                'finished eossl shard folder (pack it with pack_shards.py; index.json is written '
                'last)')
        super().__init__(self.data_root, cache_dir=cache_dir, shuffle=shuffle, seed=seed,
                         max_cache_size=max_cache_size, storage_options=storage_options,
                         item_shuffle_window=shuffle_buffer, item_loader=PyTreeLoader())
        self.pipeline = Compose(list(pipeline))
        self.skip_invalid, self.max_refetch = skip_invalid, max_refetch
        if check_checksum not in CHECKSUM_MODES:
            raise ValueError(f'ShardedDataset: check_checksum must be one of {CHECKSUM_MODES}, '
                             f'got {check_checksum!r}')
        self.check_checksum = ('every_read' if check_checksum is True else
                               'off' if check_checksum is False else str(check_checksum))
        self._metainfo = dict(metainfo or {})
        self.invalid_samples: dict[str, str] = {}
        self._checked_chunks: set[int] = set()
        # shared with DataLoader workers (also persistent ones): epoch, skip, batch size
        self._shared = RawArray(ctypes.c_int64, 3)
        self._shared[_BATCH] = 1
        # litdata has fetched index.json (from a remote root: into its cache folder)
        self.index = json.loads((Path(self.input_dir.path) / INDEX_FILE).read_text('utf-8'))
        if 'eossl' not in self.index:
            raise ValueError(f'{self.data_root}: a litdata folder but not packed by eossl (its '
                             'index.json has no "eossl" section); pack it with pack_shards.py')
        self._verified = (VerifiedSamples(self.num_samples)
                          if self.check_checksum == 'first_read' else None)

    @property
    def metainfo(self) -> dict:
        """The packed dataset's metainfo, updated with the ``metainfo`` argument."""
        return {**self.index['eossl']['metainfo'], **self._metainfo}

    @property
    def num_samples(self) -> int:
        """Samples in the folder (all ranks together)."""
        return self.index['eossl']['num_samples']

    def __len__(self) -> int:
        """Samples this rank reads in a whole epoch (``self.num_workers`` is litdata's, 1
        unless set, which only matters with more than one rank)."""
        world = self.distributed_env.world_size
        total = self.num_samples
        if self.drop_last:
            stride = world * max(1, self.num_workers) * max(1, int(self._shared[_BATCH]))
            total -= total % stride
        return -(-total // world)

    def set_epoch(self, epoch: int, skip: int = 0, batch_size: int | None = None) -> None:
        """Start ``epoch`` after its first ``skip`` samples of this rank; ``batch_size`` is the
        DataLoader's (it defines which samples each rank and worker reads)."""
        if epoch < 0 or skip < 0 or (batch_size is not None and batch_size < 1):
            raise ValueError(f'ShardedDataset.set_epoch: need epoch >= 0, skip >= 0, '
                             f'batch_size >= 1, got {epoch}, {skip}, {batch_size}')
        self._shared[_EPOCH], self._shared[_SKIP] = epoch, skip
        if batch_size is not None:
            self._shared[_BATCH] = batch_size

    def _elastic_state(self) -> dict:
        """litdata's resume state for the shared epoch and skip: the elastic plan with a
        canonical order that one worker of one rank would read, restriped to the real grid."""
        epoch, skip, batch_size = (int(v) for v in self._shared[:])
        world = self.distributed_env.world_size
        return dict(
            num_samples_yielded=0, num_workers=self.worker_env.world_size,
            batch_size=batch_size, current_epoch=epoch + 1,
            input_dir_path=self.input_dir.path, input_dir_url=self.input_dir.url,
            cache_dir_path=self.cache_dir.path, item_loader=self.item_loader.state_dict(),
            drop_last=self.drop_last,
            seed=self.seed, item_shuffle_window=self._item_shuffle_window, world_size=world,
            shuffle=self.shuffle, subsampled_files=self.subsampled_files,
            region_of_interest=self.region_of_interest, state_version=2,
            sample_in_epoch=skip * world, num_canonical_nodes=1, initial_world_size=1,
            initial_num_workers=1, initial_batch_size=1, initial_num_nodes=1,
            resume_mode='elastic')

    def __iter__(self):
        """This worker's share of the rest of the current epoch (see the class docstring)."""
        self.worker_env = WorkerEnv.detect()
        if self.cache is not None:
            # litdata replaces it (and its reader) below; the old reader, collected epochs
            # later, would close the item loader's chunk under the epoch then being read
            self.cache._reader._item_loader = None
        self.batch_size = int(self._shared[_BATCH])
        self._state_dict = self._elastic_state()
        self.current_epoch = self._state_dict['current_epoch']
        return super().__iter__()

    def _chunk_name(self, chunk_index: int) -> str:
        """The file of chunk ``chunk_index`` (local path or remote URL)."""
        name = self.cache._reader.config._chunks[chunk_index]['filename']
        return os.path.join(self.input_dir.url or self.input_dir.path, name)

    def _check_chunk(self, chunk_index: int) -> None:
        """ShardCorruptError when a local chunk file is not the size its index entry says (a
        short file would otherwise be waited for as an unfinished download)."""
        if chunk_index in self._checked_chunks or self.input_dir.url:
            return
        entry = self.cache._reader.config._chunks[chunk_index]
        path = os.path.join(self.input_dir.path, entry['filename'])
        size = os.path.getsize(path) if os.path.exists(path) else None
        if size != entry['chunk_bytes']:
            raise ShardCorruptError(f'{path}: {size} bytes, index.json says '
                                    f'{entry["chunk_bytes"]} (truncated or missing chunk)')
        self._checked_chunks.add(chunk_index)

    def _item(self, index: ChunkedIndex) -> dict:
        """The decoded dataset item of litdata sample ``index``."""
        self._check_chunk(index.chunk_index)
        where = f'{self._chunk_name(index.chunk_index)} sample {index.index}'
        token = 0  # 'first_read': the local file litdata reads it from, before it is read
        if self._verified is not None:
            token = VerifiedSamples.file_token(self.cache._reader.config[index][0])
        try:
            raw = super().__getitem__(index)
        except (OSError, ValueError, IndexError, KeyError, RuntimeError) as err:
            raise ShardCorruptError(f'{where}: litdata cannot read it ({err!r})') from err
        shared = self.index['eossl'].get('shared_fields', {})  # stored once (compact layout)
        check = self.check_checksum != 'off' and not (
            token and self._verified.checked(index.index, token))
        item = decode_sample(raw, where, check)
        if check and token:
            self._verified.mark(index.index, token)
        return {**shared, **item, 'sample_idx': index.index}

    def __getitem__(self, index: ChunkedIndex | int) -> dict:
        """The pipeline output of sample ``index``, or of a replacement (``skip_invalid``)."""
        if self.cache is None:  # type: ignore[has-type]  # random access before any iteration: open the cache
            self.worker_env = WorkerEnv.detect()
            self.cache = self._create_cache(worker_env=self.worker_env)
        if isinstance(index, int):
            index = ChunkedIndex(*self.cache._get_chunk_index_from_index(index))
        epoch = int(self._shared[_EPOCH])
        for attempt in range(self.max_refetch + 1):
            try:
                result = self.pipeline(self._item(index))
            except InvalidSampleError as err:
                if not self.skip_invalid:
                    raise
                self.invalid_samples[str(index.index)] = str(err)
                print_log(f'ShardedDataset: skipping invalid sample {index.index}: {err} '
                          f'({len(self.invalid_samples)} invalid so far)', logger='current',
                          level=logging.WARNING)
                result = None
            if result is not None:
                return result
            rng = np.random.default_rng([self.seed, epoch, index.index, attempt])
            drawn = int(rng.integers(self.num_samples))
            index = ChunkedIndex(*self.cache._get_chunk_index_from_index(drawn))
        raise RuntimeError(f'ShardedDataset: no valid sample after {self.max_refetch} '
                           f'replacement draws in {self.data_root}')

    def __repr__(self) -> str:
        return (f'ShardedDataset(data_root={self.data_root!r}, shuffle={self.shuffle}, '
                f'seed={self.seed})')
