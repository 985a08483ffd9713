"""Epoch and mid-epoch position of streaming datasets, kept in sync and in checkpoints."""
import itertools
import logging
from collections.abc import Iterator

import torch
from mmengine.hooks import DistSamplerSeedHook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import IterableDataset, Sampler

from eossl.registry import HOOKS


def streaming_dataset(runner) -> IterableDataset | None:
    """The training dataset when it is a streaming dataset with ``set_epoch`` (e.g.
    :class:`~eossl.datasets.ShardedDataset`), else None."""
    dataset = getattr(runner.train_loop.dataloader, 'dataset', None)
    if isinstance(dataset, IterableDataset) and hasattr(dataset, 'set_epoch'):
        return dataset
    return None


class SkipFirst(Sampler):
    """``sampler`` without its first ``skip`` indices (this rank's consumed samples).

    Creating a DataLoader iterator draws its base seed from torch's global generator just
    before it asks the sampler for indices. An uninterrupted run drew it at the epoch's start,
    before the consumed batches; the resumed run draws it again after the restored random
    states. The first ``iter`` therefore puts back the torch state of the epoch start
    (``rng_state``), so the resumed batches see the generator the uninterrupted run saw.
    """

    def __init__(self, sampler: Sampler, skip: int,
                 rng_state: torch.Tensor | None = None) -> None:
        self.sampler, self.skip, self.rng_state = sampler, skip, rng_state

    def __iter__(self) -> Iterator[int]:
        if self.rng_state is not None:
            torch.set_rng_state(self.rng_state)
            self.rng_state = None
        return itertools.islice(iter(self.sampler), self.skip, None)

    def __len__(self) -> int:
        return max(len(self.sampler) - self.skip, 0)


@HOOKS.register_module()
class DataStateHook(DistSamplerSeedHook):
    """mmengine's ``DistSamplerSeedHook`` (samplers get ``set_epoch``) that also drives streaming
    datasets, whose DataLoader has no sampler to carry the epoch.

    For a streaming dataset it calls ``dataset.set_epoch(epoch, skip, batch_size)`` before each
    epoch, counts the batches consumed, and stores ``meta['data_state'] = {epoch,
    iter, consumed_samples (per rank), batch_size, world_size}`` in every checkpoint. When a run
    resumes from a checkpoint written in the middle of an epoch (``CheckpointHook`` with
    ``by_epoch=False``, or a preemption checkpoint), that epoch restarts after its consumed
    samples, so no sample is seen twice and none is missed; mmengine's epoch loop itself would
    replay the whole epoch. A checkpoint written at the end of an epoch resumes at the next.

    A map-style dataset's sampler (mmengine's ``DefaultSampler``, any sampler whose order is
    fixed by its seed and epoch) is handled the same way: its first epoch after such a resume
    skips this rank's consumed indices (:class:`SkipFirst` in the DataLoader's batch sampler
    for that epoch). Exact with ``num_workers=0``; with workers, the samples are the same but
    each worker's random stream starts at the resumed batch instead of the epoch's first.

    Exact resumption needs the same number of processes and the same batch size per process as
    the interrupted run (they define which samples were consumed); otherwise the hook raises,
    unless ``on_mismatch='restart_epoch'``, which logs a warning and restarts that epoch.

    Args:
        on_mismatch: ``'error'`` or ``'restart_epoch'``.
    """

    priority = 'NORMAL'

    def __init__(self, on_mismatch: str = 'error') -> None:
        if on_mismatch not in ('error', 'restart_epoch'):
            raise ValueError(f"DataStateHook: on_mismatch must be 'error' or 'restart_epoch', "
                             f'got {on_mismatch!r}')
        self.on_mismatch = on_mismatch
        self._resumed: dict | None = None
        self._start = self._batches = 0

    def before_train(self, runner) -> None:
        """A streaming dataset is only supported by the epoch-based loop."""
        if streaming_dataset(runner) is not None and \
                not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise TypeError(f'DataStateHook: {type(streaming_dataset(runner)).__name__} needs '
                            f'train_cfg type EpochBasedTrainLoop (got '
                            f'{type(runner.train_loop).__name__}), which starts every epoch '
                            'through the hooks')

    def before_train_epoch(self, runner) -> None:
        """Seed samplers; give a streaming dataset its epoch and where to start in it, or make
        a sampler's first epoch after a mid-epoch resume skip what was consumed."""
        super().before_train_epoch(runner)
        loader = runner.train_loop.dataloader
        batch_sampler = getattr(loader, 'batch_sampler', None)
        if isinstance(getattr(batch_sampler, 'sampler', None), SkipFirst):
            batch_sampler.sampler = batch_sampler.sampler.sampler  # one epoch only
        skip = self._resume_skip(runner, loader.batch_size)
        dataset = streaming_dataset(runner)
        if dataset is not None:
            dataset.set_epoch(runner.epoch, skip=skip, batch_size=loader.batch_size)
        elif skip and batch_sampler is not None:
            batch_sampler.sampler = SkipFirst(batch_sampler.sampler, skip, torch.get_rng_state())
        self._start, self._batches = skip, 0

    def _resume_skip(self, runner, batch_size: int) -> int:
        """Samples of this epoch consumed before the checkpoint being resumed (0 otherwise)."""
        state, self._resumed = self._resumed, None
        # a load_from checkpoint (fine-tuning) also passes through after_load_checkpoint; only
        # a resumed run continues at the checkpoint's iteration
        if not state or (state['epoch'], state['iter']) != (runner.epoch, runner.iter):
            return 0
        if (state['world_size'], state['batch_size']) == (runner.world_size, batch_size):
            print_log(f'DataStateHook: epoch {runner.epoch} continues after its first '
                      f'{state["consumed_samples"]} samples per rank', logger='current',
                      level=logging.INFO)
            return state['consumed_samples']
        message = (f'DataStateHook: the checkpoint stopped in the middle of epoch '
                   f'{runner.epoch} with {state["world_size"]} processes x batch '
                   f'{state["batch_size"]}; this run has {runner.world_size} x {batch_size}, so '
                   'the samples already seen cannot be skipped exactly')
        if self.on_mismatch == 'error':
            raise RuntimeError(message + '. Resume with the same processes and batch size, or '
                               "set default_hooks.sampler_seed.on_mismatch='restart_epoch'")
        print_log(message + '; the epoch restarts from its beginning', logger='current',
                  level=logging.WARNING)
        return 0

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Count the batch just consumed."""
        self._batches += 1

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Record the position in the epoch in ``checkpoint['meta']['data_state']``."""
        batch_size = runner.train_loop.dataloader.batch_size
        meta = checkpoint.setdefault('meta', {})
        meta['data_state'] = dict(
            epoch=runner.epoch, iter=meta.get('iter', runner.iter),
            consumed_samples=self._start + self._batches * batch_size, batch_size=batch_size,
            world_size=runner.world_size)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Remember the streaming position of a resumed checkpoint for the next epoch start."""
        self._resumed = checkpoint.get('meta', {}).get('data_state')
