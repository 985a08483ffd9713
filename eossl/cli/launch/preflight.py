"""Checks run by ``eossl-train`` after the runner is built and before training starts."""
from mmengine.dist import get_world_size


def check_train_batches(runner) -> None:
    """Fail, naming the dataset size, the batch size and ``drop_last``, when the training
    loader yields no batch per epoch (mmengine would stop later with "`epoch_length` must be a
    positive integer, but got 0").

    Builds the train loop (and its dataloader) as ``runner.train()`` would; the runner reuses it.
    """
    if runner._train_loop is None:  # a runner built for testing only
        return
    loader = runner.train_loop.dataloader
    if len(loader) > 0:
        return
    size, batch = len(loader.dataset), loader.batch_size
    world = get_world_size()
    raise ValueError(
        f'train_dataloader: the dataset has {size} samples, fewer than one batch of '
        f'{batch} per process' + (f' x {world} processes' if world > 1 else '') +
        f' with drop_last={loader.drop_last}, so an epoch has no iteration. Lower '
        f'train_dataloader.batch_size to at most {max(size // world, 1)}, set '
        f'train_dataloader.drop_last=False, or add data.')
