"""Snapshot and restore every random number generator a training process draws from.

Why: mmengine checkpoints store the seed, not the generator states, so a run resumed from an
epoch checkpoint re-seeds and then draws different MP-MAE masks, drop-path decisions, Siamese
masks and (with ``num_workers=0``) augmentation parameters than the uninterrupted run did.
Saving the states with the checkpoint and restoring them on resume makes the resumed run draw
exactly what the uninterrupted one drew.

States are stored as tensors, ints, floats and tuples only, so checkpoints holding them still
load under ``torch.load(weights_only=True)`` (numpy's uint32 key array would not).
"""
import random
import warnings
from typing import Any

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size

RandomStates = dict[str, Any]


def capture_random_states() -> RandomStates:
    """States of Python's ``random``, numpy's global generator, torch's CPU generator and every
    CUDA device (when CUDA is initialised) of this process."""
    kind, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    states: RandomStates = dict(
        python=random.getstate(),
        numpy=dict(kind=kind, keys=torch.from_numpy(keys.astype(np.int64)), pos=int(pos),  # type: ignore[attr-defined]
                   has_gauss=int(has_gauss), cached_gaussian=float(cached_gaussian)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def restore_random_states(states: RandomStates) -> None:
    """Set every generator captured by :func:`capture_random_states` back to ``states``.

    CUDA states are restored only when the number of visible devices is unchanged (a resume
    on other hardware cannot continue those streams; a warning says so).
    """
    random.setstate(_as_tuples(states['python']))
    numpy_state = states['numpy']
    np.random.set_state((numpy_state['kind'], numpy_state['keys'].cpu().numpy().astype(np.uint32),
                         numpy_state['pos'], numpy_state['has_gauss'],
                         numpy_state['cached_gaussian']))
    # resume may map the checkpoint onto the GPU; the CPU generator takes a CPU ByteTensor
    torch.set_rng_state(states['torch'].cpu())
    cuda = states.get('cuda')
    if cuda is None or not torch.cuda.is_available():
        return
    if len(cuda) != torch.cuda.device_count():
        warnings.warn(f'the checkpoint holds CUDA generator states of {len(cuda)} devices, this '
                      f'process sees {torch.cuda.device_count()}; CUDA random streams restart',
                      stacklevel=2)
        return
    torch.cuda.set_rng_state_all([state.cpu() for state in cuda])


def gather_random_states() -> list[RandomStates]:
    """Every rank's :func:`capture_random_states`, in rank order (a collective: all ranks call).

    One process: a one-element list, no communication.
    """
    if get_world_size() == 1:
        return [capture_random_states()]
    return all_gather_object(capture_random_states())


def restore_own_random_states(per_rank: list[RandomStates]) -> bool:
    """Restore this rank's entry of ``per_rank``; False (and a warning) when the world size
    differs from the one that saved them."""
    if len(per_rank) != get_world_size():
        warnings.warn(f'the checkpoint holds random states of {len(per_rank)} ranks, this run has '
                      f'{get_world_size()}; random streams are not restored', stacklevel=2)
        return False
    restore_random_states(per_rank[get_rank()])
    return True


def _as_tuples(value: Any) -> Any:
    """Lists back to tuples, recursively (``random.setstate`` rejects lists)."""
    if isinstance(value, (list, tuple)):
        return tuple(_as_tuples(v) for v in value)
    return value
