"""Pack any eossl dataset into litdata chunks and stream them (``pip install 'eossl[streaming]'``).

See ``docs/shards.md``. ``pack_dataset`` and ``verify_shards`` are what ``eossl-pack-shards``
runs; ``ShardedDataset`` is the dataset recipes name. The engine (litdata) is imported on first
use, so eossl itself imports without the ``streaming`` extra.
"""
from eossl.registry import DATASETS


@DATASETS.register_module()
def ShardedDataset(*args, **kwargs):  # noqa: N802 (recipes name it like a dataset class)
    """A :class:`~.sharded_dataset.ShardStream` (litdata ``StreamingDataset``) over a packed
    folder; see that class for the arguments."""
    from .sharded_dataset import ShardStream
    return ShardStream(*args, **kwargs)


def _write_fake_data(root, dataset: dict, size: int):
    """``--preset cpu-tiny``'s fake data for ``ShardedDataset``: see
    :meth:`~.sharded_dataset.ShardStream.write_fake_data`."""
    from .sharded_dataset import ShardStream
    return ShardStream.write_fake_data(root, dataset, size)


ShardedDataset.write_fake_data = _write_fake_data

def __getattr__(name: str):
    """``pack_dataset``, ``verify_shards``, ``ShardCorruptError``, … imported on first use."""
    modules = dict(pack_dataset='writer', verify_shards='verify', VerifyReport='verify',
                   ShardCorruptError='sample_codec', ShardStream='sharded_dataset')
    if name not in modules:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    from importlib import import_module
    return getattr(import_module(f'.{modules[name]}', __name__), name)


__all__ = ['ShardedDataset', 'ShardStream', 'ShardCorruptError', 'VerifyReport', 'pack_dataset',
           'verify_shards']
