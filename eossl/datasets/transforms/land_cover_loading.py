"""Load a land-cover map as a class-index label map for segmentation."""
from collections.abc import Mapping

from mmcv.transforms import BaseTransform

from eossl.datasets.land_cover import IGNORE_INDEX, remap_labels, resolve_label_map
from eossl.registry import TRANSFORMS

from .loading import LoadMultiBandImage


@TRANSFORMS.register_module()
class LoadLandCoverMap(BaseTransform):
    """Read one band of ``results['paths'][modality]`` as int64 class indices ``(1, H, W)``.

    The map keeps a band axis so the eossl geometric transforms crop, flip and rotate it together
    with the image (``keys=('img', 'gt_seg_map')``); crops must cut whole pixels of a map on the
    image's grid (DFC2020 and SEN12MS maps are), because a label is never interpolated. Raw
    values go through ``label_map``; unmapped values and nodata become ``ignore_index``.

    Args:
        modality: key of ``results['paths']`` (``'dfc'`` for DFC2020, ``'lc'`` for SEN12MS).
        band: the band to read by name (``'IGBP'`` of the SEN12MS ``lc`` file); None for a
            single-band file.
        label_map: ``{raw value: class index}`` or a name of
            :data:`eossl.datasets.land_cover.LABEL_MAPS` (``'dfc2020'``, ``'sen12ms_igbp'``).
        ignore_index: the index of unlabelled pixels (mmseg's default 255).
        out_key: where the map goes.

    Also sets ``results['seg_fields']`` (the keys holding label maps), as mmseg does.
    """

    def __init__(self, modality: str = 'dfc', band: str | None = None,
                 label_map: str | Mapping[int, int] = 'dfc2020',
                 ignore_index: int = IGNORE_INDEX, out_key: str = 'gt_seg_map') -> None:
        self.label_map = resolve_label_map(label_map)
        if ignore_index in self.label_map.values():
            raise ValueError(f'LoadLandCoverMap: ignore_index {ignore_index} is also a class index '
                             'of label_map')
        self.loader = LoadMultiBandImage(modality=modality,
                                         bands=None if band is None else [band],
                                         out_key=out_key, resample='nearest')
        self.ignore_index, self.out_key = ignore_index, out_key

    def transform(self, results: dict) -> dict:
        """Write ``results[out_key]`` ``(1, H, W)`` int64 (see the class docstring)."""
        results = self.loader.transform(results)
        raw = results[self.out_key]
        if raw.shape[0] != 1:
            raise ValueError(f"LoadLandCoverMap: {results['paths'][self.loader.modality]} has "
                             f'{raw.shape[0]} bands; name the one to read with band=...')
        results[self.out_key] = remap_labels(raw, self.label_map, self.ignore_index)
        results.setdefault('seg_fields', [])
        if self.out_key not in results['seg_fields']:
            results['seg_fields'].append(self.out_key)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(modality={self.loader.modality!r}, '
                f'band={self.loader.bands}, ignore_index={self.ignore_index}, '
                f'out_key={self.out_key!r})')
