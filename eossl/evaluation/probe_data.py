"""Load a dataset split into memory for the frozen probes: images, band names, labels, masks.

The dataset is any registered eossl dataset built from a config dict plus a loading pipeline
that leaves ``img`` ``(C, H, W)`` and ``img_bands`` (and ``gt_seg_map`` for segmentation) in the
results, e.g. ``[dict(type='eossl.LoadMultiBandImage', modality='s2')]`` or
``[dict(type='eossl.LoadGeoBenchSample')]``. Every image is resized to one square size
(bilinear; masks nearest) so features of one split stack into one array.
"""
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.registry import DATASETS


@dataclass
class SplitArrays:
    """One split in memory.

    Attributes:
        images: ``(N, C, S, S)`` float32 raw values (NaN = nodata).
        bands: the C band names.
        labels: class indices per item (classification), else empty lists.
        masks: ``(N, S, S)`` int64 class maps (segmentation) or None.
        classes: the dataset's class names.
    """

    images: torch.Tensor
    bands: tuple[str, ...]
    labels: list[list[int]]
    masks: torch.Tensor | None
    classes: tuple[str, ...]


def load_split(dataset: dict, split: str, size: int) -> SplitArrays:
    """Build ``dataset`` (a config dict with ``pipeline``) for ``split`` and load it whole.

    Raises:
        ValueError: items with different band names, or a pipeline that writes no ``img``.
    """
    built = DATASETS.build(dict(dataset, split=split, test_mode=True))
    images, labels, masks, bands = [], [], [], None
    for i in range(len(built)):
        results = built[i]
        if 'img' not in results:
            raise ValueError(f'{dataset["type"]}: the pipeline {dataset.get("pipeline")} '
                             "writes no 'img'")
        names = tuple(results['img_bands'])
        if bands is not None and names != bands:
            raise ValueError(f'{dataset["type"]} {split}: item {i} has bands {names}, the '
                             f'first item {bands}')
        bands = names
        img = torch.from_numpy(np.ascontiguousarray(results['img'], dtype=np.float32))[None]
        images.append(F.interpolate(img, size=(size, size), mode='bilinear',
                                    align_corners=False)[0])
        labels.append([int(c) for c in built.get_data_info(i).get('gt_label', [])])
        if 'gt_seg_map' in results:
            mask = torch.as_tensor(np.asarray(results['gt_seg_map'])).reshape(
                1, 1, *np.asarray(results['gt_seg_map']).shape[-2:]).float()
            masks.append(F.interpolate(mask, size=(size, size), mode='nearest')[0, 0].long())
    classes = tuple(built.metainfo.get('classes') or ())
    return SplitArrays(torch.stack(images), bands or (), labels,
                       torch.stack(masks) if masks else None, classes)


def band_mean_std(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """NaN-aware per-band mean and std ``(C,)`` of ``(N, C, H, W)`` (std floored at 1e-6)."""
    flat = images.transpose(0, 1).reshape(images.shape[1], -1)
    mean = flat.nanmean(dim=1)
    std = ((flat - mean[:, None]) ** 2).nanmean(dim=1).sqrt().clamp_min(1e-6)
    return mean, std
