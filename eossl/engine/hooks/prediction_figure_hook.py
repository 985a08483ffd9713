"""Write one figure per test sample (``eossl-test --show-dir DIR``)."""
import os
import os.path as osp

import numpy as np
import torch
from mmengine.hooks import Hook

from eossl.datasets.bands import resolve_bands
from eossl.registry import HOOKS


def _sample_image(inputs, index: int) -> tuple[torch.Tensor, str | None]:
    """The ``(C, H, W)`` image of sample ``index`` and its modality key: a dict of modalities
    shows S2 when present, else its first modality; a list of views shows the first view."""
    if isinstance(inputs, dict):
        key = 's2' if 's2' in inputs else next(iter(inputs))
        return _sample_image(inputs[key], index)[0], key
    image = inputs[index]
    return (image[0] if isinstance(image, (list, tuple)) else image), None


@HOOKS.register_module()
class PredictionFigureHook(Hook):
    """After each test iteration, draw each sample (up to ``max_samples``) into ``out_dir``.

    Segmentation samples (``pred_sem_seg``) get input | label | prediction, classification
    samples (``pred_score``) the input and their top classes
    (:mod:`eossl.visualization.prediction_figures`). Class names come from the test dataset's
    ``metainfo['classes']``; band names from the sample's ``img_bands`` metainfo, else from the
    recipe's ``model.data_preprocessor.bands``.

    Args:
        out_dir: folder of the PNGs (``<sample_id or index>.png``); created when missing.
        max_samples: stop drawing after this many samples.
        topk: classes shown per classification sample.
    """

    def __init__(self, out_dir: str, max_samples: int = 16, topk: int = 5) -> None:
        self.out_dir, self.max_samples, self.topk = out_dir, max_samples, topk
        self.drawn = 0

    def before_test(self, runner) -> None:
        """Create the folder; read the class names."""
        os.makedirs(self.out_dir, exist_ok=True)
        self.drawn = 0
        meta = getattr(runner.test_dataloader.dataset, 'metainfo', {}) or {}
        self.classes = meta.get('classes')
        # band names per modality, as the recipe's data preprocessor declares them
        bands = (runner.cfg.get('model', {}).get('data_preprocessor') or {}).get('bands')
        self.bands = {k: resolve_bands(v) for k, v in
                      (bands if isinstance(bands, dict) else {None: bands}).items()}

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Draw the batch's samples."""
        from eossl.visualization.prediction_figures import (
            save_classification_figure,
            save_segmentation_figure,
        )
        for i, sample in enumerate(outputs or []):
            if self.drawn >= self.max_samples:
                return
            image, modality = _sample_image(data_batch['inputs'], i)
            bands = sample.metainfo.get('img_bands') or self.bands.get(modality)
            name = str(sample.metainfo.get('sample_id', f'sample_{self.drawn:05d}'))
            out = osp.join(self.out_dir, name.replace(os.sep, '_') + '.png')
            if 'pred_sem_seg' in sample:
                pred = sample.pred_sem_seg.data[0].cpu().numpy()
                label = sample.gt_sem_seg.data[0].cpu().numpy() if 'gt_sem_seg' in sample else None
                classes = self.classes or [str(c) for c in range(int(pred.max()) + 1)]
                save_segmentation_figure(image, label, pred, out, classes, bands)
            else:
                scores = sample.pred_score.cpu().numpy()
                truth = sample.gt_label.tolist() if 'gt_label' in sample else []
                classes = self.classes or [str(c) for c in range(len(scores))]
                save_classification_figure(image, np.asarray(scores), truth, out, classes,
                                           bands, self.topk)
            self.drawn += 1
