"""Reading a packed sample's bytes where they lie: in the memory map of its litdata chunk.

litdata (0.2.76) stores a chunk of eossl samples (``{'sample': str, 'pixels': bytes}``) as an
Arrow IPC file of record batches of 256 rows, and its ``PyTreeLoader`` serves a row by turning
the row's whole record batch into Python objects (``to_pylist``): every row's ``pixels`` copied
into a new ``bytes`` (a PerA compact tile is 1.8 MB, a record batch 470 MB) — and all of it
again whenever the next row read lies in another record batch of the chunk, which with the
in-chunk shuffle of a chunk over 256 samples is most reads (measured: ~40 ms per PerA sample
with 520-sample chunks, against ~1 ms for the rest of the sample's work).
"""
import bisect
from collections.abc import Callable
from typing import Any

import numpy as np
from litdata.streaming.item_loader import PyTreeLoader as LitdataPyTreeLoader
from litdata.streaming.item_loader import open_arrow_footer_reader

Column = Callable[[int], Any]


def column_reader(column: Any) -> Column:
    """``row -> value`` of one Arrow column of a record batch: for a binary column without
    nulls a read-only ``memoryview`` of the row's bytes inside the column's buffer (no copy),
    else the row's Python value (``as_py``, what litdata's ``to_pylist`` gives)."""
    import pyarrow as pa

    if (pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type)) \
            and column.null_count == 0 and len(column):
        _, offsets, data = column.buffers()
        width = np.int64 if pa.types.is_large_binary(column.type) else np.int32
        bounds = np.frombuffer(offsets, width, len(column) + 1, column.offset * width().itemsize)
        bounds, view = bounds.tolist(), memoryview(data) if data is not None else memoryview(b'')
        return lambda row: view[bounds[row]:bounds[row + 1]]
    return lambda row: column[row].as_py()


class PyTreeLoader(LitdataPyTreeLoader):
    """litdata's ``PyTreeLoader``, serving the rows of a chunk's Arrow footer without copying.

    A row is read from its record batch alone: binary fields (eossl's ``pixels``) become
    read-only ``memoryview`` s of the chunk's memory map (they keep the map alive while in use;
    litdata's closing of a chunk tolerates that), other fields are converted for this row only.
    The item equals litdata's (``bytes(view) == litdata's bytes``); its pixels are then copied
    once, into the batch (:func:`eossl.datasets.worker_collate.collate_in_workers`). Chunks
    without a footer, or with an Arrow stream footer of older litdata, are read by litdata's
    own code. The class keeps litdata's name because a chunk folder's ``index.json`` names the
    loader that must read it and litdata checks the class name against it.

    A chunk closed from outside while being read is opened again: litdata (0.2.76) would
    believe it still open and fail (``assert self._open_handle``) or read the whole chunk file
    for every row. What did so: a reader of an earlier epoch (litdata builds one per epoch
    around the dataset's one loader), freed epochs later by the cyclic garbage collector,
    closing the loader's chunk on its way out, ~10 epochs into a run with persistent workers;
    :class:`~.sharded_dataset.ShardStream` now detaches such readers from the loader.
    """

    def load_item_from_chunk(self, index: int, chunk_index: int, chunk_filepath: str,
                             begin: int, filesize_bytes: int, encryption: Any = None) -> Any:
        """litdata's reading of item ``index``, after opening the chunk anew where it was
        closed from outside (a collected reader of an earlier epoch; see the class docstring)."""
        if self._mmap is None and self._open_handle is None:
            self._chunk_filepath = None  # litdata opens the chunk when this differs
        return super().load_item_from_chunk(index, chunk_index, chunk_filepath, begin,
                                            filesize_bytes, encryption)

    def _try_arrow_footer_rows(self, view: bytes | memoryview, chunk_index: int,
                               table_idx: int) -> Any:
        """Row ``table_idx`` of chunk ``chunk_index`` from its Arrow file footer (litdata's
        hook; litdata's own reading where there is no such footer)."""
        # litdata's own attributes, untyped there
        index_now = self._arrow_reader_index  # type: ignore[has-type]
        if self._arrow_reader is None or index_now != chunk_index:  # type: ignore[has-type]
            opened = open_arrow_footer_reader(view)
            if opened is None or not opened[1]:
                return super()._try_arrow_footer_rows(view, chunk_index, table_idx)
            self._arrow_reader, self._arrow_reader_is_file = opened
            self._arrow_reader_index = chunk_index
            self._arrow_table = self._arrow_table_index = None
            reader = self._arrow_reader
            sizes = [reader.get_batch(i).num_rows for i in range(reader.num_record_batches)]
            self._row_starts = np.cumsum([0, *sizes]).tolist()
        if not self._arrow_reader_is_file:
            return super()._try_arrow_footer_rows(view, chunk_index, table_idx)
        batch = getattr(self, '_zero_copy_batch', None)
        if batch is None or batch[0] != chunk_index or not batch[1] <= table_idx < batch[2]:
            starts = self._row_starts
            index = bisect.bisect_right(starts, table_idx) - 1
            if not 0 <= index < len(starts) - 1:
                return super()._try_arrow_footer_rows(view, chunk_index, table_idx)
            record = self._arrow_reader.get_batch(index)
            columns = {name: column_reader(column)
                       for name, column in zip(record.schema.names, record.columns)}
            batch = self._zero_copy_batch = (chunk_index, starts[index], starts[index + 1],
                                             columns)
        row = table_idx - batch[1]
        return {name: read(row) for name, read in batch[3].items()}

    def _clear_arrow_footer(self) -> None:
        """Forget the footer reader and the record batch in use (a chunk closed or switched)."""
        super()._clear_arrow_footer()
        self._zero_copy_batch = self._row_starts = None

    def __getstate__(self) -> dict:
        """As litdata's (memory maps and readers are not pickled to workers)."""
        state = super().__getstate__()
        state['_zero_copy_batch'] = state['_row_starts'] = None
        return state
