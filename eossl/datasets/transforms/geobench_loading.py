"""Read a GEO-Bench v1 HDF5 sample indexed by :class:`eossl.datasets.GeoBenchDataset`."""
import numpy as np
from mmcv.transforms import BaseTransform

from eossl.datasets.errors import InvalidSampleError
from eossl.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadGeoBenchSample(BaseTransform):
    """Read a GEO-Bench HDF5 item: ``img`` float32 ``(C, H, W)``, ``img_bands`` and, for
    segmentation, ``gt_seg_map`` int64 ``(H, W)`` from the ``label`` band."""

    def transform(self, results: dict) -> dict:
        """Fill ``img``, ``img_bands``, ``img_shape`` (and ``gt_seg_map``)."""
        path = results['paths']['hdf5']
        import h5py  # eossl[optional]: imported on use, so `import eossl` does not need it
        with h5py.File(path, 'r') as handle:
            bands = [np.asarray(handle[d], dtype=np.float32) for d in results['descriptors']]
            shapes = {b.shape for b in bands}
            if len(shapes) != 1:
                raise InvalidSampleError(f'{path}: bands of different sizes {sorted(shapes)}; '
                                         'resample them before probing')
            results['img'] = np.stack(bands)
            if 'label' in handle:
                results['gt_seg_map'] = np.asarray(handle['label'], dtype=np.int64)
        results['img_bands'] = results['bands']['hdf5']
        results['img_shape'] = results['img'].shape[1:]
        return results
