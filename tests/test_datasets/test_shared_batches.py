"""Batch memory reused by a DataLoader worker only when the kernel proves no one else sees it,
and a batch's tensors crossing from a worker as one storage."""
import pickle
from multiprocessing.reduction import ForkingPickler

import torch
import torch.multiprocessing as mp

from eossl.datasets.shared_batches import OneStorageBatch, SharedBatchPool, copy_into


def tiles(seed: int, n: int = 3) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 65535, (2, 5, 7), generator=generator).to(torch.uint16)
            for _ in range(n)]


def stack(pool: SharedBatchPool, parts: list[torch.Tensor]) -> torch.Tensor | None:
    """``torch.stack(parts)`` written into a free buffer of ``pool``, as handed over."""
    shape = (len(parts), *parts[0].shape)
    taken = pool.take(parts[0].nbytes * len(parts))
    if taken is None:
        return None
    written, handed = (t.view(parts[0].dtype).view(shape) for t in taken)
    torch.stack(parts, out=written)
    return handed


def test_a_pooled_batch_equals_torch_stack_and_is_shared():
    pool = SharedBatchPool()
    assert pool.enabled, 'write leases prove sharing on Linux'
    parts = tiles(0)
    batch = stack(pool, parts)
    assert batch.dtype == torch.uint16 and batch.is_shared()
    assert torch.equal(batch, torch.stack(parts))


def test_a_buffer_is_reused_only_once_every_tensor_of_it_is_gone():
    pool = SharedBatchPool(capacity=2)
    first = stack(pool, tiles(1))
    view = first[1:]  # a view keeps the memory mapped as well
    del first
    second = stack(pool, tiles(2))
    (buffers,) = pool.buffers.values()
    assert len(buffers) == 2  # the first buffer was still seen through `view`
    assert torch.equal(view, torch.stack(tiles(1))[1:])
    assert stack(pool, tiles(3)) is None  # both held: the caller stacks into new memory
    del view
    third = stack(pool, tiles(3))
    assert len(buffers) == 2 and torch.equal(third, torch.stack(tiles(3)))
    assert torch.equal(second, torch.stack(tiles(2)))


def _hold(queue, done) -> None:
    batch = queue.get()
    done.put(int(batch.sum()))
    done.get()  # hold the batch until told
    del batch
    done.put('dropped')


def test_a_buffer_held_by_another_process_is_not_reused():
    """The training process's copy of a batch (received through torch's fd sharing) blocks
    reuse until it is dropped there."""
    context = mp.get_context('fork')
    queue, done = context.Queue(), context.Queue()
    child = context.Process(target=_hold, args=(queue, done))
    child.start()
    try:
        pool = SharedBatchPool(capacity=1)
        parts = tiles(4)
        queue.put(stack(pool, parts))
        assert done.get(timeout=60) == int(torch.stack(parts).sum())
        assert stack(pool, tiles(5)) is None  # the child still maps it
        done.put('drop')
        assert done.get(timeout=60) == 'dropped'
        assert torch.equal(stack(pool, tiles(5)), torch.stack(tiles(5)))
    finally:
        child.join(timeout=60)
        if child.is_alive():
            child.kill()


def test_a_batch_crosses_as_one_storage_and_arrives_equal():
    fields = {'masks': {'student': [torch.arange(6).view(2, 3), torch.zeros(2, 0,
                                                                            dtype=torch.long)]},
              'views': {'box': torch.rand(2, 4, 4), 'flip': torch.rand(2, 3) > 0.5,
                        'complete': torch.tensor([True, False])}}
    inputs = torch.stack(tiles(7, n=2))
    memory = torch.empty(0, dtype=torch.uint8)

    def give(nbytes: int) -> tuple[torch.Tensor, torch.Tensor]:
        memory.resize_(nbytes)
        return memory, memory

    packed = OneStorageBatch(
        {'inputs': torch.empty(inputs.shape, dtype=inputs.dtype, device='meta'),
         'collated': fields},
        lambda views: (views['inputs'].copy_(inputs), copy_into(views['collated'], fields)),
        give, {'data_samples': ['a', 'b']})
    tensors = (packed['inputs'], packed['collated']['masks']['student'][0],
               packed['collated']['views']['box'], packed['collated']['views']['flip'])
    assert {t.untyped_storage().data_ptr() for t in tensors} == {memory.data_ptr()}
    for received in (pickle.loads(pickle.dumps(packed)),
                     pickle.loads(ForkingPickler.dumps(packed))):
        assert type(received) is dict and received['data_samples'] == ['a', 'b']
        assert received['inputs'].dtype == torch.uint16
        assert torch.equal(received['inputs'], inputs)
        got = received['collated']
        assert got['masks']['student'][1].shape == (2, 0)
        for a, b in ((got['masks']['student'][0], fields['masks']['student'][0]),
                     *((got['views'][k], fields['views'][k]) for k in fields['views'])):
            assert a.dtype == b.dtype and torch.equal(a, b)


def test_leases_that_do_not_prove_sharing_disable_the_pool(monkeypatch):
    """A system where a write lease is refused on a buffer no one else has open (leases off,
    or memfd-like files) must not pool."""
    import eossl.datasets.shared_batches as shared
    monkeypatch.setattr(shared, '_unshared', lambda fd: False)
    pool = SharedBatchPool()
    assert stack(pool, tiles(6)) is None and not pool.enabled


def test_in_a_worker_inputs_and_fields_share_one_storage_pooled_unless_zero(monkeypatch):
    import numpy as np
    from mmpretrain.structures import DataSample

    import eossl.datasets.shared_batches as shared_batches
    import eossl.datasets.worker_collate as worker_collate
    monkeypatch.setattr(worker_collate, 'get_worker_info', lambda: object())  # "in a worker"
    monkeypatch.setattr(shared_batches, '_POOL', None)
    parts = tiles(3)
    for reused in (0, 2):
        items = []  # collation moves the fields out of the samples
        for i, tile in enumerate(parts):
            sample = DataSample()
            sample.set_field({'student': [np.array([i, i + 1])]}, 'disjoint_masks')
            items.append({'inputs': tile, 'data_samples': sample})
        batch = worker_collate.collate_in_workers(items, fields=('disjoint_masks', ),
                                                  reused_batches=reused)
        masks = batch['collated']['disjoint_masks']['student'][0]
        assert torch.equal(batch['inputs'], torch.stack(parts)) and batch['inputs'].is_shared()
        assert torch.equal(masks, torch.tensor([[0, 1], [1, 2], [2, 3]]))
        assert masks.untyped_storage().data_ptr() == batch['inputs'].untyped_storage().data_ptr()
        assert 'disjoint_masks' not in batch['data_samples'][0]
        assert sum(map(len, shared_batches._POOL[1].buffers.values())) == (reused > 0)
