"""mmseg's ``IoUMetric`` that also returns each class's IoU, so it reaches ``metrics.json``.

mmseg logs the per-class table as text and returns only the means (``aAcc``, ``mIoU``, ...);
:class:`PerClassIoUMetric` returns the same means plus ``IoU.<class name>`` (%, NaN for a class
that occurs neither in the labels nor in the predictions), one scalar per class, which every
logger and ``eossl-test --out`` keep.
"""
import numpy as np
import torch
from mmseg.evaluation import IoUMetric

from eossl.registry import METRICS


@METRICS.register_module()
class PerClassIoUMetric(IoUMetric):
    """``IoUMetric`` (same arguments) adding ``IoU.<class>`` for every class of the dataset."""

    def compute_metrics(self, results: list) -> dict[str, float]:
        """mmseg's metrics plus the per-class IoU of the gathered area counts."""
        metrics = super().compute_metrics(results)
        if self.format_only or not results:
            return metrics
        intersect, union = (sum(areas) for areas in tuple(zip(*results))[:2])
        iou = (intersect / union).float() if isinstance(union, torch.Tensor) else intersect / union
        names = self.dataset_meta.get('classes') or [str(k) for k in range(len(iou))]
        for name, value in zip(names, np.asarray(iou, dtype=np.float64)):
            metrics[f'IoU.{name}'] = round(float(value) * 100, 2)
        return metrics
