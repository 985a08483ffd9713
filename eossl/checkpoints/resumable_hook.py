"""Checkpoints that survive ``kill -9`` and resume with exactly the same random streams."""
import glob
import os
import os.path as osp
import shutil
from collections.abc import Sequence

import torch
from mmengine.dist import all_reduce, is_main_process
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook

from eossl.cli.launch.stop_signals import StopSignals, TrainingStopped
from eossl.disk_writes import write_error
from eossl.registry import HOOKS
from eossl.supported_versions import MMENGINE, require

from .integrity import integrity_problem, record_path, record_text
from .random_states import gather_random_states, restore_own_random_states

POINTER = 'last_checkpoint'
PARTIAL_SUFFIX = '.partial'


def _fsync(path: str) -> None:
    """Flush ``path`` (a file or a folder entry) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: str) -> None:
    """Delete a checkpoint file or a sharded checkpoint folder."""
    if osp.isdir(path):
        shutil.rmtree(path)
    else:
        os.remove(path)


def publish(partial: str, final: str) -> None:
    """Move the fully written ``partial`` onto ``final`` in one atomic step.

    ``os.replace`` within one folder is atomic on POSIX file systems: a reader (or a resumed run)
    sees the old file or the new one, never a mix. The data and then the rename are fsynced so
    that a power cut cannot reorder them either. A sharded checkpoint is a folder (mmengine's
    FSDP ``state_dict_type='local'``); an existing folder ``final`` is removed first, so only
    that short window is not atomic.
    """
    if osp.isdir(partial):
        if osp.exists(final):
            _remove(final)
    else:
        _fsync(partial)
    os.replace(partial, final)
    _fsync(osp.dirname(osp.abspath(final)))


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and :func:`publish`."""
    partial = osp.join(osp.dirname(path), f'.{osp.basename(path)}{PARTIAL_SUFFIX}')
    with open(partial, 'w') as f:
        f.write(text)
    publish(partial, path)


@HOOKS.register_module()
class ResumableCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments) with two guarantees for resuming.

    **Atomic files.** mmengine writes ``epoch_N.pth`` and ``last_checkpoint`` in place, so a run
    killed while saving (``kill -9``, OOM killer, preemption) leaves a truncated checkpoint that
    ``--resume`` then fails on, and with ``max_keep_ckpts`` it deletes the oldest checkpoint
    *before* writing the new one. Here every checkpoint is written to ``.epoch_N.pth.partial``
    and renamed into place (:func:`publish`), ``last_checkpoint`` is rewritten the same way only
    after that, and the checkpoint that falls out of ``max_keep_ckpts`` is deleted last. At any
    instant the folder holds complete checkpoints and a pointer to one of them; a partial file
    left by a killed run is deleted when the next run starts. Remote storage (``backend_args``
    or ``file_client_args``) keeps mmengine's writes.

    **Integrity records.** Once published, each checkpoint gets ``<name>.sha256`` (see
    :mod:`eossl.checkpoints.integrity`), hashed from the bytes on disk and written
    atomically before ``last_checkpoint`` points at it (a checkpoint whose zip CRCs already
    fail on disk gets no record and no pointer: a warning names it); every eossl load verifies
    it and
    ``--resume`` falls back to the newest intact checkpoint. The checkpoint that falls out of
    ``max_keep_ckpts`` is deleted only while another kept checkpoint is intact, so rotation never
    deletes the last intact one.

    **Random streams.** Every rank's generator states (Python, numpy, torch CPU and CUDA, see
    :mod:`.random_states`) are stored in ``meta['random_states']`` and restored when the run
    resumes from that checkpoint (not for ``load_from`` without resume), so masks, drop-path and
    main-process augmentations continue exactly. Exact for epoch-based loops resuming from epoch
    checkpoints; data-loader workers reseed per epoch from mmengine's ``worker_init_fn`` and,
    with ``persistent_workers=True``, cannot be rewound to the middle of their stream.

    **A full disk.** A save that fails (``ENOSPC``, quota, read-only) deletes its partial file
    and raises :class:`~eossl.disk_writes.DiskWriteError` naming the checkpoint, the free space
    and the previous checkpoint, which stays intact, pointed at and resumable.

    **Stop signals** (eossl option ``stop_signals``, mmengine has none). On SIGTERM (what slurm
    and Kubernetes send before a kill) or SIGINT (Ctrl-C) the current iteration finishes, a
    checkpoint ``iter_N.pth`` of that position is saved as above (with the data position, see
    :class:`~eossl.engine.hooks.DataStateHook`) and
    :class:`~eossl.cli.launch.stop_signals.TrainingStopped` is raised; ``eossl-train`` turns it
    into a one-line hint to ``--resume`` and exit code 143 / 130. A signal during a save lets
    that save finish. The resumed run continues that epoch after the consumed batches. Only on
    the main thread of a local-storage run; a second SIGINT stops at once. With several
    processes a one-element all-reduce per iteration makes every rank stop at the same one.

    Args:
        restore_random_states: restore the saved states on resume.
        stop_signals: names of the signals that stop training with a checkpoint; ``()`` keeps
            Python's handling (the process ends where it is).
        *args, **kwargs: as ``mmengine.hooks.CheckpointHook``.
    """

    def __init__(self, *args, restore_random_states: bool = True,
                 stop_signals: Sequence[str] = ('SIGTERM', 'SIGINT'), **kwargs) -> None:
        # overrides CheckpointHook._save_checkpoint_with_step, a private mmengine method
        require('mmengine CheckpointHook._save_checkpoint_with_step (eossl.'
                'ResumableCheckpointHook)', 'mmengine', MMENGINE)
        super().__init__(*args, **kwargs)
        self.restore_random_states = restore_random_states
        self.stop_signals = StopSignals(stop_signals)
        self._loaded: tuple[int, list] | None = None

    def before_train(self, runner) -> None:
        """Set up the output folder, drop partial files of a killed run, restore random states."""
        super().before_train(runner)
        self._local = isinstance(self.file_backend, LocalBackend)
        if self._local and is_main_process():
            for stale in glob.glob(osp.join(self.out_dir, f'.*{PARTIAL_SUFFIX}')):
                _remove(stale)
        if self.restore_random_states and self._loaded is not None:
            saved_iter, states = self._loaded
            # a resumed run continues at the saved iteration; load_from starts at 0
            if runner.iter == saved_iter > 0 and restore_own_random_states(states):
                runner.logger.info(f'restored the random states saved at iteration {saved_iter}')
        self._loaded = None
        if self._local and self.stop_signals.names:
            self.stop_signals.install(runner)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """mmengine's iteration saves, then a stop checkpoint when a stop signal arrived."""
        super().after_train_iter(runner, batch_idx, data_batch, outputs)
        if not (self._local and self.stop_signals.names):
            return
        signame = self.stop_signals.received()
        if runner.world_size > 1:  # every rank stops at the same iteration, or saving hangs
            flag = torch.tensor([float(signame is not None)])
            all_reduce(flag, op='max')
            signame = signame or ('SIGTERM' if flag.item() else None)
        if signame is None:
            return
        self.stop_signals.restore()
        meta = dict(random_states=gather_random_states())
        self._publish(runner, f'iter_{runner.iter + 1}.pth', meta, by_epoch=False)
        runner.logger.warning(f'stopped by {signame} after iteration {runner.iter + 1}; '
                              f'saved {self.last_ckpt}')
        raise TrainingStopped(signame, runner.iter + 1, self.last_ckpt)

    def after_train(self, runner) -> None:
        """Give the stop signals back to their previous handlers."""
        self.stop_signals.restore()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the loaded random states until :meth:`before_train` knows it is a resume."""
        meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
        if isinstance(meta, dict) and meta.get('random_states') is not None:
            self._loaded = (meta.get('iter', -1), meta['random_states'])

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        """Save checkpoint ``step`` (called on every rank); see the class docstring."""
        meta = dict(meta, random_states=gather_random_states())
        if not self._local:
            super()._save_checkpoint_with_step(runner, step, meta)
            return
        dropped = self._rotate(runner, step)
        if not self._publish(runner, self.filename_tmpl.format(step), meta, self.by_epoch):
            return
        stale = glob.glob(osp.join(self.out_dir, 'iter_*.pth')) if self.by_epoch else []
        if dropped is not None and osp.exists(dropped) and self._another_intact(dropped):
            stale.append(dropped)
        # and an epoch-based run's stop checkpoints (iter_N.pth), superseded now: --resume
        # orders checkpoints by the number in their name
        for path in stale:
            _remove(path)
            if osp.exists(record_path(path)):
                os.remove(record_path(path))

    def _publish(self, runner, name: str, meta: dict, by_epoch: bool) -> bool:
        """Write checkpoint ``name`` atomically with its record, then point ``last_checkpoint``
        at it; whether it was published intact (main process)."""
        self.last_ckpt = osp.join(self.out_dir, name)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        partial = osp.join(self.out_dir, f'.{name}{PARTIAL_SUFFIX}')
        try:
            runner.save_checkpoint(self.out_dir, osp.basename(partial),
                                   save_optimizer=self.save_optimizer,
                                   save_param_scheduler=self.save_param_scheduler, meta=meta,
                                   by_epoch=by_epoch, **self.args)
            if not is_main_process():
                return False
            record = record_path(self.last_ckpt)
            if osp.exists(record):  # a stale record of an earlier run's checkpoint of that name
                os.remove(record)
            publish(partial, self.last_ckpt)
            problem = integrity_problem(self.last_ckpt)  # no record yet: the zip's own CRCs
            if problem is not None:
                runner.logger.warning(
                    f'checkpoint {self.last_ckpt} was written corrupt ({problem}); '
                    f'{POINTER} still names the previous checkpoint and none is deleted')
                return False
            atomic_write_text(record, record_text(self.last_ckpt))
            atomic_write_text(osp.join(runner.work_dir, POINTER), self.last_ckpt)
        except OSError as error:
            previous = osp.join(runner.work_dir, POINTER)
            previous = open(previous).read().strip() if osp.isfile(previous) else 'none'
            raise write_error(error, self.last_ckpt, partial,
                              f'; {POINTER} still names the previous checkpoint ({previous}), '
                              'which --resume continues from once there is room') from error
        return True

    def _another_intact(self, dropped: str) -> bool:
        """Whether a kept checkpoint other than ``dropped`` passes its integrity check."""
        kept = [osp.join(self.out_dir, self.filename_tmpl.format(step))
                for step in reversed(self.keep_ckpt_ids)]
        return any(path != dropped and integrity_problem(path) is None for path in kept)

    def _rotate(self, runner, step: int) -> str | None:
        """Record ``step`` among the kept checkpoints; the path that falls out (deleted by the
        caller once the new checkpoint is in place), or None."""
        if self.max_keep_ckpts <= 0 or (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            return None
        dropped = None
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            dropped = osp.join(self.out_dir, self.filename_tmpl.format(self.keep_ckpt_ids[0]))
        self.keep_ckpt_ids.append(step)  # a deque of maxlen max_keep_ckpts drops the oldest
        runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        return dropped
