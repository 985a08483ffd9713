"""``KNNEvaluationHook``: a kNN probe of the encoder being pretrained, every N epochs.

Downstream quality should rise while a pretraining run goes on; this hook shows it. Every
``interval`` epochs (and after the last) the current backbone (the EMA teacher's when the
algorithm has one) embeds a labelled dataset — any eossl dataset with ``gt_label`` and a pipeline
ending in ``PackEOInputs`` — with the hook's own data preprocessor, and the weighted kNN probe of
:mod:`eossl.evaluation.knn` scores it: leave-one-out on that set, or queries of ``dataset``
against a separate ``bank_dataset``. Top-1 accuracy (single-label) or mAP (multi-label) goes to
the message hub as ``knn/accuracy`` / ``knn/mAP`` (so to the logger, ``scalars.json`` and every
visualizer backend, beside :class:`~eossl.engine.hooks.RepresentationMonitorHook`'s
``train/*`` figures). The model is put back in training mode afterwards.
"""
import torch
from mmengine.dataset import default_collate
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import DATASETS, MODELS
from torch.utils.data import DataLoader

from eossl.evaluation.knn import knn_metrics, knn_scores, label_matrix
from eossl.registry import HOOKS


@HOOKS.register_module()
class KNNEvaluationHook(Hook):
    """kNN probe every ``interval`` training epochs (see the module docstring).

    Args:
        dataset: labelled dataset config (queries; also the memory bank without
            ``bank_dataset``, then leave-one-out).
        data_preprocessor: config of the preprocessor that normalises its batches (e.g.
            ``dict(type='eossl.EOClsDataPreprocessor', stats='bigearthnet:s2_l2a', bands=...)``).
        bank_dataset: optional labelled memory bank.
        num_classes: K of the labels.
        interval: epochs between probes.
        k: neighbours; temperature: vote weight ``exp(cos / T)`` (DINO's kNN).
        batch_size: images embedded at once.
    """

    priority = 'LOW'

    def __init__(self, dataset: dict, data_preprocessor: dict, num_classes: int,
                 bank_dataset: dict | None = None, interval: int = 1, k: int = 20,
                 temperature: float = 0.07, batch_size: int = 64) -> None:
        if interval < 1 or k < 1:
            raise ValueError(f'KNNEvaluationHook: need interval >= 1 and k >= 1, got '
                             f'{interval}, {k}')
        self.dataset_cfg, self.bank_cfg = dataset, bank_dataset
        self.preprocessor_cfg = data_preprocessor
        self.num_classes, self.interval, self.k = num_classes, interval, k
        self.temperature, self.batch_size = temperature, batch_size
        self.history: list[dict] = []

    def before_train(self, runner) -> None:
        """Build the datasets and the preprocessor once (errors surface before training)."""
        self.queries = DATASETS.build(self.dataset_cfg)
        self.bank = DATASETS.build(self.bank_cfg) if self.bank_cfg else None
        self.preprocessor = MODELS.build(self.preprocessor_cfg)

    def after_train_epoch(self, runner) -> None:
        """Probe at every ``interval``-th epoch and at the last one."""
        if self.every_n_epochs(runner, self.interval) or self.is_last_train_epoch(runner):
            self.probe(runner)

    @torch.no_grad()
    def _embed(self, backbone: torch.nn.Module, dataset) -> tuple[torch.Tensor, torch.Tensor]:
        device = next(backbone.parameters()).device
        self.preprocessor.to(device)
        feats, labels = [], []
        loader = DataLoader(dataset, batch_size=self.batch_size, shuffle=False,
                            collate_fn=default_collate)
        for batch in loader:
            data = self.preprocessor(batch, False)
            out = backbone(data['inputs'])[-1]
            feats.append((out.mean(dim=(2, 3)) if out.dim() == 4 else out).float().cpu())
            labels.append(label_matrix([s.gt_label for s in data['data_samples']],
                                       self.num_classes))
        return torch.cat(feats), torch.cat(labels)

    def probe(self, runner) -> dict:
        """Run the probe now; returns and logs the metrics."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        teacher = getattr(model, 'teacher', None)
        backbone = getattr(teacher, 'backbone', None) or model.backbone
        was_training = backbone.training
        backbone.eval()
        try:
            q_feats, q_labels = self._embed(backbone, self.queries)
            b_feats, b_labels = (self._embed(backbone, self.bank) if self.bank is not None
                                 else (q_feats, q_labels))
        finally:
            backbone.train(was_training)
        scores = knn_scores(b_feats, b_labels, q_feats, k=self.k, temperature=self.temperature,
                            exclude_self=self.bank is None)
        multi_label = bool((q_labels.sum(dim=1) != 1).any())
        metrics = knn_metrics(scores, q_labels, multi_label)
        for key, value in metrics.items():
            if key != 'classes_evaluated':
                runner.message_hub.update_scalar(f'knn/{key}', value)
        metrics['epoch'] = runner.epoch + 1
        self.history.append(metrics)
        print_log(f'KNNEvaluationHook (epoch {runner.epoch + 1}): {metrics}', logger='current')
        return metrics
