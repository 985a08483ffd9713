"""``embed`` and ``predict`` on one image (a CHW array or a raster path), and their batch forms
that the tiled scene inference (:mod:`eossl.apis.scene`) shares.

The user passes raw values (reflectance DN, dB) and the band names of their data; the bands the
model needs are picked by name, in model order, and normalized with the recipe's statistics
(:meth:`EOInferenceModel.normalize`). Nodata (the raster's declared nodata, or NaN in an array)
becomes the band mean, as in training.
"""
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

import numpy as np
import rasterio
import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from rasterio.windows import Window

from eossl.datasets.bands import normalize_band_name
from eossl.datasets.io_paths import is_local_path
from eossl.datasets.remote_reads import retry_remote
from eossl.engine.precision import inference_autocast
from eossl.models.backbones import EOVisionTransformer

from .inference_model import EOInferenceModel

Image: TypeAlias = np.ndarray | torch.Tensor | str | Path


def band_indexes(model_bands: Sequence[str], given: Sequence[str] | None, count: int,
                 where: str, fill_missing: bool = False) -> list[int | None]:
    """0-based positions in the user's data of each band the model needs (model order).

    ``given`` names the ``count`` bands of the data (a raster's band descriptions, or
    ``--bands``). Without names the data must hold exactly the model's bands in model order,
    and a warning says so: a file in another order would be read silently wrong.
    ``fill_missing``: a band the model needs but the data lacks (B10 of an L1C model on an L2A
    scene) is ``None`` here and read as nodata, i.e. the band mean after normalization, as
    :class:`~eossl.datasets.transforms.FillMissingBands` fills it in training.
    """
    if given is None:
        if count != len(model_bands):
            raise ValueError(f'{where}: has {count} bands but the model needs {len(model_bands)} '
                             f'{list(model_bands)}, and its bands have no descriptions: pass '
                             '--bands (bands=[...]) naming the bands of the data in file order')
        print_log(f'{where}: its bands have no descriptions; reading them as the model\'s order '
                  f'{list(model_bands)}. Pass --bands (bands=[...]) if the file is in another '
                  'order', logger='current', level=logging.WARNING)
        return list(range(count))
    names = [normalize_band_name(b) for b in given]
    if len(names) != count:
        raise ValueError(f'{where}: bands names {len(names)} bands {names} but the data has '
                         f'{count}')
    missing = [b for b in model_bands if b not in names]
    if missing and not fill_missing:
        raise ValueError(f'{where}: the model needs band(s) {missing}, which are not among the '
                         f'data\'s bands {names}; --fill-missing-bands (fill_missing=True) '
                         'reads them as nodata (the band mean), as FillMissingBands does in '
                         'training')
    if missing:
        print_log(f'{where}: band(s) {missing} filled with the band mean (fill_missing)',
                  logger='current', level=logging.WARNING)
    return [names.index(b) if b in names else None for b in model_bands]


def read_bands(src: rasterio.io.DatasetReader, indexes: Sequence[int | None],
               window: Window | None = None) -> np.ndarray:
    """Float32 ``(C, h, w)`` of the bands at ``indexes`` (``None``: a filled band, all NaN),
    each band's nodata (and non-finite values) as NaN."""
    present = [i for i in indexes if i is not None]
    if not present:
        raise ValueError(f'{src.name}: none of the model\'s bands is in the file')
    numbers = [i + 1 for i in present]

    def read(retry: bool) -> np.ndarray:  # a remote retry reads through a fresh handle
        if not retry:
            return src.read(numbers, window=window)
        with rasterio.open(src.name) as fresh:
            return fresh.read(numbers, window=window)

    raw = retry_remote(read, src.name)
    data = nodata_to_nan(raw, [src.nodatavals[i] for i in present])
    if len(present) == len(indexes):
        return data
    out = np.full((len(indexes), *data.shape[1:]), np.nan, np.float32)
    rows = [k for k, i in enumerate(indexes) if i is not None]
    out[rows] = data
    return out


def raster_band_names(src: rasterio.io.DatasetReader,
                      bands: Sequence[str] | None) -> Sequence[str] | None:
    """``bands`` when given, else the raster's band descriptions when every band has one."""
    if bands is not None:
        return bands
    return list(src.descriptions) if all(src.descriptions) else None


def open_raster(path: str | Path) -> rasterio.io.DatasetReader:
    """Open a local file or GDAL virtual path, with a clear error for a missing local file."""
    text = str(path)
    if is_local_path(text) and not Path(text).is_file():
        raise FileNotFoundError(f'{text}: raster not found')
    return retry_remote(lambda retry: rasterio.open(text), text)  # bounded retries if remote


def nodata_to_nan(raw: np.ndarray, nodatavals: Sequence[float | None]) -> np.ndarray:
    """``(C, H, W)`` float32 with each band's nodata value (and non-finite values) set to NaN."""
    data = raw.astype(np.float32)
    for k, nodata in enumerate(nodatavals):
        if nodata is not None and not np.isnan(nodata):
            data[k][raw[k] == nodata] = np.nan
    data[~np.isfinite(data)] = np.nan
    return data


def read_image(model: EOInferenceModel, image: Image, bands: Sequence[str] | None = None,
               fill_missing: bool = False) -> np.ndarray:
    """The model's bands of ``image`` as raw float32 ``(C, H, W)``, nodata as NaN; selects the
    model's encoder and statistics for the image's band names (:meth:`EOInferenceModel.select`)."""
    if isinstance(image, (str, Path)):
        with open_raster(image) as src:
            names = raster_band_names(src, bands)
            model.select(names, str(image))
            idx = band_indexes(model.bands, names, src.count, str(image), fill_missing)
            return read_bands(src, idx)
    array = image.detach().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    if array.ndim != 3:
        raise ValueError(f'image must be a (C, H, W) array or a raster path, got shape '
                         f'{array.shape}')
    model.select(bands, 'image')
    idx = band_indexes(model.bands, bands, array.shape[0], 'image', fill_missing)
    data = np.full((len(idx), *array.shape[1:]), np.nan, np.float32)
    for k, i in enumerate(idx):
        if i is not None:
            data[k] = array[i]
    return nodata_to_nan(data, [None] * len(idx))


def size_divisor(model: EOInferenceModel) -> int:
    """Input sides must be multiples of this (a ViT's patch size, else 1)."""
    return int(getattr(model.feature_extractor, 'patch_size', 1) or 1)


def backbone_features(model: EOInferenceModel,
                      x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Normalized ``(B, C, H, W)`` → pooled ``(B, D)`` and feature map ``(B, D, h, w)``.

    A ViT gives its normed CLS token and its normed patch tokens on the patch grid (whatever its
    ``out_type``); a CNN gives its last output map and the map's spatial mean.
    """
    backbone = model.feature_extractor
    if isinstance(backbone, EOVisionTransformer):
        out_type, backbone.out_type = backbone.out_type, 'raw'
        try:
            tokens = backbone(x)[-1]
        finally:
            backbone.out_type = out_type
        grid = backbone.grid_size(x)
        patches = tokens[:, 1 + backbone.num_register_tokens:]
        return tokens[:, 0], patches.transpose(1, 2).reshape(x.shape[0], -1, *grid)
    out = backbone(x)
    last = out[-1] if isinstance(out, (tuple, list)) else out
    if last.dim() == 4:
        return last.mean(dim=(2, 3)), last
    if last.dim() == 2:
        return last, None
    raise ValueError(f'{type(backbone).__name__}: unexpected backbone output shape '
                     f'{tuple(last.shape)}')


@torch.no_grad()
def predict_batch(model: EOInferenceModel, x: torch.Tensor) -> torch.Tensor:
    """Normalized ``(B, C, H, W)`` → class scores ``(B, K)`` (classification, the head's
    softmax or sigmoid) or per-pixel class probabilities ``(B, K, H, W)`` (segmentation)."""
    if model.task == 'classification':
        samples = model.network.predict(x)
        return torch.stack([s.pred_score for s in samples])
    if model.task == 'segmentation':
        shape = tuple(x.shape[2:])
        metas = [dict(img_shape=shape, ori_shape=shape, pad_shape=shape,
                      padding_size=[0, 0, 0, 0])] * x.shape[0]
        logits = model.network.inference(x, metas)
        if logits.shape[1] == 1:  # binary head with a sigmoid
            positive = logits.sigmoid()
            return torch.cat([1 - positive, positive], dim=1)
        return logits.softmax(dim=1)
    raise ValueError(f'{model.cfg.filename}: a pretraining recipe has no head to predict with; '
                     'use embed() (or predict-scene --embed) for its features')


def _padded(model: EOInferenceModel, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
    """``x`` zero-padded (the band mean) at the bottom/right to the model's size divisor."""
    div = size_divisor(model)
    h, w = x.shape[2:]
    pad_h, pad_w = (-h) % div, (-w) % div
    return (F.pad(x, (0, pad_w, 0, pad_h)) if pad_h or pad_w else x), (h, w)


@torch.no_grad()
def embed(model: EOInferenceModel, image: Image, bands: Sequence[str] | None = None,
          amp: bool = False, fill_missing: bool = False) -> dict[str, np.ndarray]:
    """Features of one image.

    Args:
        model: from :func:`init_model` (any recipe: a downstream one uses its backbone).
        image: ``(C, H, W)`` raw values, or a raster path (also a GDAL virtual path).
        bands: names of the image's bands (default: the raster's descriptions; an array without
            names must hold exactly the model's bands in model order).
        amp: run the backbone under bf16 autocast (see :func:`eossl.engine.inference_autocast`);
            the features are returned in fp32.
        fill_missing: read bands the model needs but the image lacks as nodata (band mean).

    Returns:
        ``{'embedding': (D,), 'feature_map': (D, h, w)}`` (``feature_map`` absent for a backbone
        that returns vectors only); sides not divisible by a ViT's patch are padded first.
    """
    raw = torch.from_numpy(read_image(model, image, bands, fill_missing))[None]
    x, _ = _padded(model, model.normalize(raw))
    with inference_autocast(x.device, amp):
        pooled, featmap = backbone_features(model, x)
    out = {'embedding': pooled[0].float().cpu().numpy()}
    if featmap is not None:
        out['feature_map'] = featmap[0].float().cpu().numpy()
    return out


@torch.no_grad()
def predict(model: EOInferenceModel, image: Image, bands: Sequence[str] | None = None,
            fill_missing: bool = False) -> dict[str, np.ndarray]:
    """Run a downstream model on one image (``bands`` and ``fill_missing`` as :func:`embed`).

    Returns:
        classification: ``{'scores': (K,)}``; segmentation: ``{'probs': (K, H, W),
        'labels': (H, W)}`` at the input's size, with ``labels`` the argmax class ids.
    """
    raw = torch.from_numpy(read_image(model, image, bands, fill_missing))[None]
    x, (h, w) = _padded(model, model.normalize(raw))
    out = predict_batch(model, x)[0]
    if model.task == 'classification':
        return {'scores': out.cpu().numpy()}
    probs = out[:, :h, :w].cpu().numpy()
    return {'probs': probs, 'labels': probs.argmax(axis=0)}
