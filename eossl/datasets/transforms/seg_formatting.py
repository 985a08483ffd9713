"""Packing for mmseg: a multi-band ``(C, H, W)`` image and its label map → a ``SegDataSample``."""
from collections.abc import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from eossl.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackEOSegInputs(BaseTransform):
    """Pack ``results`` into ``{'inputs': (C, H, W) tensor, 'data_samples': SegDataSample}``.

    The image keeps its dtype and band order (no HWC transpose, no colour handling: eossl
    transforms work channel-first). The label map ``results[seg_key]`` ``(1, H, W)`` or
    ``(H, W)`` becomes ``gt_sem_seg`` (int64 ``(1, H, W)``). mmseg reads ``img_shape`` and
    ``ori_shape`` from the metainfo to resize logits; both default to the packed ``(H, W)``.

    Args:
        key: the image key.
        seg_key: the label-map key; absent at inference time, then no ``gt_sem_seg`` is set.
        meta_keys: result keys copied to the metainfo when present.
    """

    def __init__(self, key: str = 'img', seg_key: str = 'gt_seg_map',
                 meta_keys: Sequence[str] = ('sample_id', 'img_shape', 'ori_shape',
                                             'img_bands')) -> None:
        self.key, self.seg_key, self.meta_keys = key, seg_key, tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Build the packed dict; a label map of another size than the image is an error."""
        image = results.get(self.key)
        if not isinstance(image, np.ndarray) or image.ndim != 3:
            raise KeyError(f"PackEOSegInputs: sample {results.get('sample_id')!r} needs a "
                           f"(C, H, W) array in results['{self.key}'], got "
                           f"{getattr(image, 'shape', type(image).__name__)}")
        sample = SegDataSample()
        if self.seg_key in results:
            seg = np.asarray(results[self.seg_key])
            seg = seg[None] if seg.ndim == 2 else seg
            if seg.shape != (1, *image.shape[1:]):
                raise ValueError(f"PackEOSegInputs: sample {results.get('sample_id')!r}: label "
                                 f'map {seg.shape} does not match the image {image.shape}')
            sample.gt_sem_seg = PixelData(data=torch.from_numpy(seg.astype(np.int64)))
        meta = {k: results[k] for k in self.meta_keys if k in results}
        meta['img_shape'] = tuple(image.shape[1:])
        meta.setdefault('ori_shape', meta['img_shape'])
        sample.set_metainfo(meta)
        return {'inputs': torch.from_numpy(np.ascontiguousarray(image)), 'data_samples': sample}

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(key={self.key!r}, seg_key={self.seg_key!r}, '
                f'meta_keys={self.meta_keys})')
