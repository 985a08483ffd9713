"""Batch memory reused by a DataLoader worker only when the kernel proves no one else sees it,
and per-sample fields crossing from a worker as one storage."""
import pickle
from multiprocessing.reduction import ForkingPickler

import torch
import torch.multiprocessing as mp

from eossl.datasets.shared_batches import OneStorageFields, SharedBatchPool


def tiles(seed: int, n: int = 3) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 65535, (2, 5, 7), generator=generator).to(torch.uint16)
            for _ in range(n)]


def test_a_pooled_batch_equals_torch_stack_and_is_shared():
    pool = SharedBatchPool()
    assert pool.enabled, 'write leases prove sharing on Linux'
    parts = tiles(0)
    batch = pool.stack(parts)
    assert batch.dtype == torch.uint16 and batch.is_shared()
    assert torch.equal(batch, torch.stack(parts))


def test_a_buffer_is_reused_only_once_every_tensor_of_it_is_gone():
    pool = SharedBatchPool(capacity=2)
    first = pool.stack(tiles(1))
    view = first[1:]  # a view keeps the memory mapped as well
    del first
    second = pool.stack(tiles(2))
    (buffers,) = pool.buffers.values()
    assert len(buffers) == 2  # the first buffer was still seen through `view`
    assert torch.equal(view, torch.stack(tiles(1))[1:])
    assert pool.stack(tiles(3)) is None  # both held: the caller stacks into new memory
    del view
    third = pool.stack(tiles(3))
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
        queue.put(pool.stack(parts))
        assert done.get(timeout=60) == int(torch.stack(parts).sum())
        assert pool.stack(tiles(5)) is None  # the child still maps it
        done.put('drop')
        assert done.get(timeout=60) == 'dropped'
        assert torch.equal(pool.stack(tiles(5)), torch.stack(tiles(5)))
    finally:
        child.join(timeout=60)
        if child.is_alive():
            child.kill()


def test_fields_cross_as_one_storage_and_arrive_equal():
    fields = {'masks': {'student': [torch.arange(6).view(2, 3), torch.zeros(2, 0,
                                                                            dtype=torch.long)]},
              'views': {'box': torch.rand(2, 4, 4), 'flip': torch.rand(2, 3) > 0.5,
                        'complete': torch.tensor([True, False])}}
    packed = OneStorageFields(fields)
    storages = {t.untyped_storage().data_ptr() for t in (packed['masks']['student'][0],
                                                         packed['views']['box'],
                                                         packed['views']['flip'])}
    assert len(storages) == 1
    for received in (pickle.loads(pickle.dumps(packed)),
                     pickle.loads(ForkingPickler.dumps(packed))):
        assert type(received) is dict
        assert received['masks']['student'][1].shape == (2, 0)
        for a, b in ((received['masks']['student'][0], fields['masks']['student'][0]),
                     *((received['views'][k], fields['views'][k]) for k in fields['views'])):
            assert a.dtype == b.dtype and torch.equal(a, b)


def test_leases_that_do_not_prove_sharing_disable_the_pool(monkeypatch):
    """A system where a write lease is refused on a buffer no one else has open (leases off,
    or memfd-like files) must not pool."""
    import eossl.datasets.shared_batches as shared
    monkeypatch.setattr(shared, '_unshared', lambda fd: False)
    pool = SharedBatchPool()
    assert pool.stack(tiles(6)) is None and not pool.enabled


def test_reused_batches_zero_leaves_the_batch_to_torch(monkeypatch):
    import eossl.datasets.shared_batches as shared_batches
    from eossl.datasets.worker_collate import collate_in_workers
    monkeypatch.setattr(shared_batches, 'get_worker_info', lambda: object())  # "in a worker"
    monkeypatch.setattr(shared_batches, '_POOL', None)
    parts = tiles(3)
    assert shared_batches.stack_in_worker(parts, capacity=0) is None
    pooled = shared_batches.stack_in_worker(parts, capacity=2)
    assert pooled is not None and pooled.is_shared() and torch.equal(pooled, torch.stack(parts))
    from mmengine.structures import BaseDataElement
    items = [{'inputs': t, 'data_samples': BaseDataElement()} for t in parts]
    for reused in (0, 2):
        batch = collate_in_workers(items, reused_batches=reused)
        assert torch.equal(batch['inputs'], torch.stack(parts))
        assert batch['inputs'].is_shared() == (reused > 0)
