"""mmengine's ``DefaultSampler`` that also tells the dataset which epoch starts."""
from mmengine.dataset import DefaultSampler

from eossl.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class DatasetEpochSampler(DefaultSampler):
    """``DefaultSampler`` (shuffle, seed, rank split unchanged) whose ``set_epoch`` — called by
    mmengine's ``DistSamplerSeedHook`` (and eossl's ``DataStateHook``) before each epoch — is
    passed on to ``dataset.set_epoch`` when the dataset has one.

    Datasets whose items depend on the epoch (e.g. :class:`~eossl.datasets.SceneWindows`, random
    windows drawn from ``(seed, epoch, index)``) need it: without a sampler the DataLoader never
    learns the epoch.
    """

    def set_epoch(self, epoch: int) -> None:
        super().set_epoch(epoch)
        set_dataset_epoch = getattr(self.dataset, 'set_epoch', None)
        if callable(set_dataset_epoch):
            set_dataset_epoch(epoch)
