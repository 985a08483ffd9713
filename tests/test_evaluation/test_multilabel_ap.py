"""One multi-label mAP in every command, its definition named in its key."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmpretrain.evaluation import AveragePrecision

from eossl.evaluation import MultiLabelAveragePrecision, knn_metrics, mean_average_precision

CLASSIFICATION = Path(__file__).resolve().parents[2] / 'configs' / 'benchmarks' / 'classification'


def _ten_of_nineteen() -> tuple[torch.Tensor, torch.Tensor]:
    """12 samples, 19 classes of which 10 occur, every positive ranked above every negative."""
    targets = torch.zeros(12, 19)
    for i in range(12):
        targets[i, i % 10] = 1
    return targets * 0.8 + 0.1, targets  # scores, labels


def test_present_classes_by_default_and_all_classes_by_name():
    scores, targets = _ten_of_nineteen()
    assert mean_average_precision(scores, targets) == {'mAP_present': 100.0,
                                                       'classes_evaluated': 10}
    # mmpretrain's number, the demo probe's 52.6316 at every epoch: absent classes scored 0
    assert mean_average_precision(scores, targets, 'all')['mAP_all'] == pytest.approx(
        AveragePrecision.calculate(scores, targets).item()) == pytest.approx(100 * 10 / 19)
    with pytest.raises(ValueError, match="one of \\('present', 'all'\\), got 'macro'"):
        mean_average_precision(scores, targets, 'macro')


def test_the_knn_probe_and_the_recipe_metric_report_the_same_mAP_under_the_same_key():
    from mmpretrain.structures import DataSample
    scores, targets = _ten_of_nineteen()
    for classes in ('present', 'all'):
        metric = MultiLabelAveragePrecision(classes=classes)
        metric.process(None, [DataSample().set_pred_score(s).set_gt_score(t).to_dict()
                              for s, t in zip(scores, targets)])
        reported = metric.evaluate(len(scores))
        knn = knn_metrics(scores, targets, multi_label=True, map_classes=classes)
        assert reported == {f'multi-label/{k}': v for k, v in knn.items()}


def test_multilabel_recipes_report_the_named_mAP():
    for recipe in sorted(CLASSIFICATION.glob('*.py')):
        cfg = Config.fromfile(str(recipe))
        for key in ('val_evaluator', 'test_evaluator'):
            evaluators = cfg.get(key) or []
            types = [str(e['type']) for e in
                     ([evaluators] if isinstance(evaluators, dict) else evaluators)]
            assert 'AveragePrecision' not in types, recipe  # mmpretrain's mAP, a bare key
            if 'MultiLabelMetric' in types:
                assert 'eossl.MultiLabelAveragePrecision' in types, (recipe, key)
