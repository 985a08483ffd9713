"""PerClassIoUMetric: mmseg's means plus one IoU per named class (for metrics.json)."""
import math

import pytest
import torch

from eossl.evaluation import PerClassIoUMetric


def test_each_class_gets_its_iou_next_to_mmsegs_means():
    metric = PerClassIoUMetric(iou_metrics=['mIoU'], ignore_index=255)
    metric.dataset_meta = dict(classes=('Forest', 'Water', 'Barren'))
    label = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 255]])
    pred = torch.tensor([[0, 1, 1, 1], [0, 0, 1, 0]])
    metric.process(None, [dict(pred_sem_seg=dict(data=pred[None]),
                               gt_sem_seg=dict(data=label[None]))])
    result = metric.evaluate(1)
    # Forest: 3 shared / 4 in either (the ignored pixel is left out); Water: 3 / 4; Barren: none
    assert result['IoU.Forest'] == pytest.approx(75.0) and result['IoU.Water'] == 75.0
    assert math.isnan(result['IoU.Barren'])
    assert result['mIoU'] == pytest.approx(75.0)  # mmseg's own mean, unchanged
