"""Which samples each rank and DataLoader worker reads in an epoch, as pure index arithmetic.

Every process computes the same plan from ``(shard sizes, seed, epoch, world size)``, with no
communication:

1. **Epoch sequence.** Shards in a random order drawn from ``(seed, epoch)`` (stored order when
   not shuffling), each shard's samples in stored order: a permutation of all ``N`` samples.
2. **Equal split per rank.** Rank ``r`` takes the contiguous block ``[r·n, (r+1)·n)`` of that
   sequence, so each rank streams through its own few shards. ``remainder='pad'``:
   ``n = ceil(N / R)`` and the sequence is extended with its own first samples (up to ``R - 1``
   samples are seen twice per epoch); ``'drop'``: ``n = floor(N / R)`` and the last
   ``N mod R`` samples of the (shuffled) sequence are left out of this epoch. Either way every
   rank runs the same number of steps, which DDP/FSDP collectives require.
3. **Shuffle buffer.** Within a rank, a streaming shuffle buffer of ``buffer`` samples (drawn
   from ``(seed, epoch, rank)``) reorders the block. It is applied to sample *numbers*, so its
   output is known in advance; a sample leaves its stream position by at most about
   ``buffer`` places, so reads stay within a window of the shard being streamed.
4. **Batches to workers.** Batch ``j`` (samples ``[j·B, (j+1)·B)`` of the rank order) goes to
   worker ``j mod W``. PyTorch's DataLoader collects batches from workers in that same
   round-robin order, so the rank consumes its order exactly in sequence, whatever ``W``.

Consequence used for resuming: after ``k`` steps a rank has consumed exactly the first ``k·B``
samples of its order, and the remainder of the epoch is that order from ``k·B`` on.
"""
import numpy as np

REMAINDERS = ('pad', 'drop')


def samples_per_rank(total: int, world_size: int, remainder: str = 'pad') -> int:
    """Samples every rank reads per epoch (the same on all ranks)."""
    if remainder not in REMAINDERS:
        raise ValueError(f'remainder must be one of {REMAINDERS}, got {remainder!r}')
    if world_size < 1:
        raise ValueError(f'world_size must be >= 1, got {world_size}')
    return -(-total // world_size) if remainder == 'pad' else total // world_size


def epoch_sequence(counts: np.ndarray, epoch: int, seed: int, shuffle: bool) -> np.ndarray:
    """All global sample numbers ``(N,)``, whole shards in a per-epoch random order."""
    starts = np.concatenate([[0], np.cumsum(counts)])
    order = (np.random.default_rng([seed, epoch]).permutation(len(counts)) if shuffle
             else np.arange(len(counts)))
    if not len(order):
        return np.zeros(0, np.int64)
    return np.concatenate([np.arange(starts[s], starts[s + 1]) for s in order]).astype(np.int64)


def buffer_shuffle(sequence: np.ndarray, buffer: int, rng: np.random.Generator) -> np.ndarray:
    """The output order of a streaming shuffle buffer of size ``buffer`` fed with ``sequence``.

    The buffer fills with the first ``buffer`` items; then each new item replaces a uniformly
    drawn buffer slot, whose item is emitted; at the end the buffer is emitted in random order.
    """
    size = min(buffer, len(sequence))
    if size <= 1:
        return sequence.copy()
    slots = sequence[:size].tolist()
    picks = rng.integers(0, size, len(sequence) - size).tolist()
    out = []
    for item, pick in zip(sequence[size:].tolist(), picks):
        out.append(slots[pick])
        slots[pick] = item
    rng.shuffle(slots)
    return np.asarray(out + slots, dtype=np.int64)


def rank_order(counts: np.ndarray, *, rank: int, world_size: int, epoch: int, seed: int,
               shuffle: bool = True, buffer: int = 0, remainder: str = 'pad') -> np.ndarray:
    """The global sample numbers rank ``rank`` reads in ``epoch``, in reading order ``(n,)``."""
    if not 0 <= rank < world_size:
        raise ValueError(f'rank {rank} outside 0..{world_size - 1}')
    sequence = epoch_sequence(counts, epoch, seed, shuffle)
    n = samples_per_rank(len(sequence), world_size, remainder)
    if remainder == 'pad' and len(sequence):
        sequence = np.resize(sequence, n * world_size)  # np.resize repeats from the start
    block = sequence[rank * n:(rank + 1) * n]
    if not shuffle or buffer <= 1:
        return block
    return buffer_shuffle(block, buffer, np.random.default_rng([seed, epoch, rank]))


def worker_positions(length: int, batch_size: int, worker: int, num_workers: int) -> np.ndarray:
    """Positions ``[0, length)`` of a rank order that DataLoader worker ``worker`` reads: the
    samples of batches ``worker, worker + W, worker + 2W, …``."""
    if batch_size < 1 or not 0 <= worker < num_workers:
        raise ValueError(f'need batch_size >= 1 and 0 <= worker < num_workers, got '
                         f'{batch_size}, {worker}, {num_workers}')
    positions = np.arange(length)
    return positions[(positions // batch_size) % num_workers == worker]
