"""Rows of a litdata chunk read where they lie (no copy) equal litdata's own reading, across
the chunk's Arrow record batches (256 rows each) and in shuffled order."""
import json

from litdata import StreamingDataset
from litdata.streaming.item_loader import PyTreeLoader as LitdataPyTreeLoader

from eossl.datasets.shards.engine import BinaryWriter
from eossl.datasets.shards.zero_copy_loader import PyTreeLoader

ROWS = 600  # three record batches of one chunk, the last one short


def write_chunk(root) -> None:
    """One chunk of ``ROWS`` eossl-schema samples, some with empty pixel bytes."""
    writer = BinaryWriter(str(root), chunk_size=ROWS)
    for i in range(ROWS):
        writer.add_item(i, {'sample': json.dumps({'i': i}),
                            'pixels': bytes([i % 251]) * (i % 5) * 3})
    writer.done()
    writer.merge()


def rows(root, loader) -> list[tuple[str, bytes]]:
    dataset = StreamingDataset(str(root), shuffle=True, seed=7, item_loader=loader)
    return [(item['sample'], bytes(item['pixels'])) for item in dataset]


def test_zero_copy_rows_equal_litdatas(tmp_path):
    write_chunk(tmp_path)
    ours, theirs = rows(tmp_path, PyTreeLoader()), rows(tmp_path, LitdataPyTreeLoader())
    assert len(ours) == ROWS and ours == theirs
    assert sorted(json.loads(s)['i'] for s, _ in ours) == list(range(ROWS))
    assert [s for s, _ in ours] != sorted((s for s, _ in ours), key=lambda s: json.loads(s)['i'])


def test_pixels_are_views_of_the_chunk_map(tmp_path):
    write_chunk(tmp_path)
    dataset = StreamingDataset(str(tmp_path), shuffle=False, item_loader=PyTreeLoader())
    items = [item for _, item in zip(range(3), dataset)]
    assert all(isinstance(item['pixels'], memoryview) and item['pixels'].readonly
               for item in items)
    assert bytes(items[2]['pixels']) == bytes([2]) * 6
