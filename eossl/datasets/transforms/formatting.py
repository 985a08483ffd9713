"""Packing: numpy ``(C, H, W)`` arrays (or lists of views) → tensors + a ``DataSample``."""
import warnings
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpretrain.structures import DataSample

from eossl.registry import TRANSFORMS

PackedInput: TypeAlias = torch.Tensor | list[torch.Tensor]
_READ_ONLY_SEEN: list[bool] = []


def to_tensor(value: np.ndarray | torch.Tensor | Sequence, key: str) -> PackedInput:
    """A ``(C, H, W)`` array as a tensor (dtype kept); a list of views as a list of tensors."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, np.ndarray):
        value = np.ascontiguousarray(value)
        if not value.flags.writeable and not _READ_ONLY_SEEN:
            # a compact shard's bytes, only read (stacked) downstream; torch warns once per
            # process, so only the first conversion needs the filter
            _READ_ONLY_SEEN.append(True)
            with warnings.catch_warnings():
                warnings.filterwarnings('ignore', 'The given NumPy array is not writable')
                return torch.from_numpy(value)
        return torch.from_numpy(value)
    if isinstance(value, (list, tuple)):
        return [to_tensor(v, key) for v in value]
    raise TypeError(f'PackEOInputs: results[{key!r}] must be a numpy array, a tensor or a list '
                    f'of views, got {type(value).__name__}')


@TRANSFORMS.register_module()
class PackEOInputs(BaseTransform):
    """Pack ``results`` into ``{'inputs': ..., 'data_samples': DataSample}``.

    ``inputs`` is one tensor ``(C, H, W)`` (or a list of view tensors, as ``MultiView`` writes)
    when ``keys`` has one key, otherwise a dict ``{key: tensor | list}`` (paired modalities).
    Arrays are not transposed: eossl transforms already work channel-first.

    The ``DataSample`` gets ``gt_label`` (a list of class indices, multi-label) when present,
    each of ``algorithm_keys`` as a data field (e.g. PerA's patch index sets) and each of
    ``meta_keys`` found in ``results`` as metainfo.

    Args:
        keys: result keys packed as model inputs.
        meta_keys: result keys copied to the sample's metainfo when present.
        algorithm_keys: result keys copied to the sample as data fields when present.
    """

    def __init__(self, keys: str | Sequence[str] = ('img',),
                 meta_keys: Sequence[str] = ('sample_id', 'img_shape', 'img_bands', 'flip',
                                             'flip_direction'),
                 algorithm_keys: Sequence[str] = ()) -> None:
        self.keys = (keys,) if isinstance(keys, str) else tuple(keys)
        if not self.keys:
            raise ValueError('PackEOInputs: keys must name at least one result key')
        self.meta_keys = tuple(meta_keys)
        self.algorithm_keys = tuple(algorithm_keys)

    def transform(self, results: dict) -> dict:
        """Build the packed dict; missing input keys are an error naming the sample."""
        missing = [k for k in self.keys if k not in results]
        if missing:
            raise KeyError(f"PackEOInputs: sample {results.get('sample_id')!r} has no {missing} "
                           f'(keys: {sorted(results)})')
        packed = {k: to_tensor(results[k], k) for k in self.keys}
        sample = DataSample()
        if 'gt_label' in results:
            sample.set_gt_label(results['gt_label'])
        for key in self.algorithm_keys:
            if key in results:
                sample.set_field(results[key], key)
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        inputs = packed[self.keys[0]] if len(self.keys) == 1 else packed
        return {'inputs': inputs, 'data_samples': sample}

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(keys={self.keys}, meta_keys={self.meta_keys}, '
                f'algorithm_keys={self.algorithm_keys})')
