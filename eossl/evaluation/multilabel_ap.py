"""Multi-label mAP with its definition in its name: over the present classes, or over all.

Two definitions of the macro mAP circulate, and they differ whenever a class has no positive in
the evaluated set (a small or partial split, a label fraction, the six-pair demo):

- ``'present'`` (eossl's default): the mean AP over the classes with at least one positive
  sample. The AP of a class without positives is undefined, so it is not averaged in. Metric
  key ``mAP_present`` (and ``classes_evaluated``, how many classes that was).
- ``'all'``: mmpretrain's ``AveragePrecision``, the mean over every class with an absent
  class scored 0 (a probe ranking each of 10 present classes perfectly among 19 scores
  10/19 = 52.63). Metric key ``mAP_all``.

On a split in which every class occurs (the full BigEarthNet test set) both are the same
number. :func:`mean_average_precision` is the one function every eossl command uses (the kNN
probe, linear probes and ``eossl-test`` through :class:`MultiLabelAveragePrecision`).
"""
import torch
from mmpretrain.evaluation import AveragePrecision

from eossl.registry import METRICS

CLASS_SETS = ('present', 'all')


def mean_average_precision(scores: torch.Tensor, targets: torch.Tensor,
                           classes: str = 'present') -> dict[str, float | int]:
    """``{'mAP_present': %, 'classes_evaluated': n}`` or ``{'mAP_all': %}``.

    Args:
        scores: ``(N, K)`` class scores (higher = more likely).
        targets: ``(N, K)`` multi-hot labels.
        classes: ``'present'`` or ``'all'`` (see the module docstring).

    Raises:
        ValueError: an unknown ``classes``, or ``'present'`` when no sample has any label.
    """
    if classes not in CLASS_SETS:
        raise ValueError(f"mAP classes must be one of {CLASS_SETS}, got {classes!r}")
    per_class = AveragePrecision.calculate(scores, targets, average=None)
    if classes == 'all':
        return {'mAP_all': per_class.mean().item()}
    present = targets.sum(dim=0) > 0
    if not present.any():
        raise ValueError('mAP over the present classes: no sample carries any label')
    return {'mAP_present': per_class[present].mean().item(),
            'classes_evaluated': int(present.sum())}


@METRICS.register_module()
class MultiLabelAveragePrecision(AveragePrecision):
    """mmpretrain's ``AveragePrecision`` reporting the mAP under a key naming its definition.

    Args:
        classes: ``'present'`` (``multi-label/mAP_present`` and ``multi-label/classes_evaluated``)
            or ``'all'`` (``multi-label/mAP_all``, mmpretrain's number); see the module.
        **kwargs: ``AveragePrecision`` arguments (``collect_device``, ``prefix``).
    """

    def __init__(self, classes: str = 'present', **kwargs) -> None:
        if classes not in CLASS_SETS:
            raise ValueError(f"MultiLabelAveragePrecision: classes must be one of {CLASS_SETS}, "
                             f"got {classes!r}")
        super().__init__(average='macro', **kwargs)
        self.classes = classes

    def compute_metrics(self, results: list) -> dict[str, float | int]:
        """The mAP of the gathered ``(pred_score, gt_score)`` results."""
        target = torch.stack([res['gt_score'] for res in results])
        pred = torch.stack([res['pred_score'] for res in results])
        return mean_average_precision(pred, target, self.classes)
