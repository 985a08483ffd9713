"""The EO data preprocessor in the shape mmpretrain's ImageClassifier builds it."""
from collections.abc import Mapping, Sequence

from eossl.registry import MODELS

from .eo_data_preprocessor import EODataPreprocessor, PerModality


@MODELS.register_module()
class EOClsDataPreprocessor(EODataPreprocessor):
    """:class:`EODataPreprocessor` for ``ImageClassifier`` / :class:`EOImageClassifier`.

    mmpretrain's ``ImageClassifier`` always passes ``batch_augments`` (its ``train_cfg``) to the
    preprocessor it builds; this class takes it. Batch augmentations (Mixup, CutMix) are not
    applied to multi-band inputs here, so anything but None is refused with a clear error
    instead of being ignored. Every other argument is :class:`EODataPreprocessor`'s (per-band
    mean/std or ``stats`` by name, dict inputs of several modalities, NaN → 0, no RGB flip).
    """

    def __init__(self, mean: PerModality | None = None, std: PerModality | None = None,
                 stats: str | Mapping[str, str] | None = None,
                 bands: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
                 channels_last: bool = False, non_blocking: bool = False,
                 batch_augments: dict | None = None) -> None:
        if batch_augments is not None:
            raise ValueError('EOClsDataPreprocessor: batch augmentations (the classifier\'s '
                             f'train_cfg={batch_augments!r}) are not supported for multi-band '
                             'inputs; remove model.train_cfg')
        super().__init__(mean=mean, std=std, stats=stats, bands=bands,
                         channels_last=channels_last, non_blocking=non_blocking)
