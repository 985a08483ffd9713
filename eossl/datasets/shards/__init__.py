"""Sequential tar shards of any eossl dataset: packing, verification, streaming.

See ``docs/shards.md`` for the format and why it is tar; ``pack_dataset`` and
``verify_shards`` are what ``tools/dataset_converters/pack_shards.py`` runs, and
``ShardedDataset`` is the dataset recipes name.
"""
from .index import ShardIndex
from .reader import ShardReader
from .sharded_dataset import ShardedDataset
from .tar_io import ShardCorruptError
from .verify import VerifyReport, verify_shards
from .writer import pack_dataset

__all__ = ['ShardIndex', 'ShardReader', 'ShardedDataset', 'ShardCorruptError', 'VerifyReport',
           'verify_shards', 'pack_dataset']
