"""The streaming engine, litdata (``pip install 'eossl[streaming]'``), imported in one place.

litdata asks PyPI for a newer version of itself when a dataset is built; eossl turns that off
(``LITDATA_DISABLE_VERSION_CHECK=1`` unless set), since nothing may go online at run time.
"""
import os

os.environ.setdefault('LITDATA_DISABLE_VERSION_CHECK', '1')

try:
    from litdata import StreamingDataset
    from litdata.constants import _INDEX_FILENAME as INDEX_FILE
    from litdata.streaming.sampler import ChunkedIndex
    from litdata.streaming.writer import BinaryWriter
    from litdata.utilities.env import _WorkerEnv as WorkerEnv
except ImportError as err:  # the optional extra is missing
    raise ImportError("eossl's shard packing and streaming need litdata: pip install "
                      f"'eossl[streaming]' (or requirements/streaming.txt) ({err})") from err

__all__ = ['BinaryWriter', 'ChunkedIndex', 'INDEX_FILE', 'StreamingDataset', 'WorkerEnv']
