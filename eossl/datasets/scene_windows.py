"""Windows cut from large scenes on the fly: pretrain on whole rasters instead of patch datasets.

Each item is one ``size × size`` window of one scene, read by the dataset (in the DataLoader
worker) and handed to the pipeline as an in-memory raster
(:class:`~eossl.datasets.ArrayRaster`) at ``results['paths'][modality]``, so the recipe's
``LoadMultiBandImage`` selects bands by name, masks nodata and everything after it runs
unchanged. The window's georeference travels with the item (``crs``, ``transform`` of the
window, ``window`` = ``(row, col, height, width)`` and ``scene``).

Two modes:

- ``'random'``: ``windows_per_epoch`` windows per epoch, window ``i`` of epoch ``e`` drawn from
  ``(seed, e, i)`` alone (scene chosen in proportion to its area, then a uniform position), so the
  same epoch gives the same windows in any process, with any number of workers, before or after
  a resume. The epoch reaches the dataset through :meth:`set_epoch`, called by
  :class:`~eossl.datasets.DatasetEpochSampler` (use it as the loader's sampler) and shared with
  persistent workers. A window with fewer than ``min_valid_fraction`` valid pixels is redrawn
  from ``(seed, e, i, attempt)``.
- ``'grid'``: a regular grid (``stride``, default ``size``) over every scene, the same each epoch;
  windows below ``min_valid_fraction`` are left out when indexing (this reads every scene once,
  at 1/8 resolution).

Scenes: ``scenes`` (a list of paths, or a text file listing one per line: local files or GDAL
virtual paths such as ``/vsicurl/https://…``, ``/vsis3/…``, ``s3://…``) and/or every file
matching ``pattern`` in ``data_root``.
"""
import ctypes
import logging
from collections.abc import Sequence
from multiprocessing.sharedctypes import RawValue
from pathlib import Path

import numpy as np
import rasterio
from mmengine.logging import print_log
from rasterio.enums import Resampling
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from eossl.registry import DATASETS

from .array_raster import ArrayRaster
from .base import EODataset
from .errors import InvalidSampleError
from .io_paths import is_local_path

MODES = ('random', 'grid')
MASK_DECIMATION = 8


def _valid_fraction(raw: np.ndarray, nodata: Sequence[float | None]) -> float:
    """Share of pixels where at least one band holds data (not nodata, finite)."""
    valid = np.zeros(raw.shape[1:], bool)
    for band, value in zip(raw, nodata):
        ok = np.isfinite(band) if band.dtype.kind == 'f' else np.ones(band.shape, bool)
        if value is not None and not np.isnan(value):
            ok &= band != value
        valid |= ok
    return float(valid.mean())


@DATASETS.register_module()
class SceneWindows(EODataset):
    """Random or grid windows over a set of large rasters (see the module docstring).

    Args:
        data_root: folder searched for ``pattern`` (may be '' when ``scenes`` lists every file).
        scenes: paths (local or GDAL virtual), or a UTF-8 text file listing one per line (at
            least one; ``#`` starts a comment).
        pattern: glob of scene files inside ``data_root`` (None: none from the folder).
        modality: the key of ``results['paths']`` the window goes to.
        bands: band names of the scenes' files, in file order (default: the band descriptions,
            read by ``LoadMultiBandImage``).
        size: window side in pixels.
        mode: ``'random'`` or ``'grid'``.
        windows_per_epoch: items per epoch in ``'random'`` mode.
        stride: grid step (default ``size``).
        min_valid_fraction: least share of valid pixels a window needs (0 keeps every window).
        max_attempts: draws per random window before it is an :class:`InvalidSampleError`.
        seed: seed of the random windows.
        **kwargs: :class:`EODataset` arguments (``pipeline``, ``skip_invalid``...).
    """

    @classmethod
    def write_fake_data(cls, root: Path, dataset: dict, size: int) -> Path:
        """Write one fake scene of ``4 size`` px square under ``root`` for ``--preset
        cpu-tiny`` and return the data_root to read."""
        from eossl.testing import make_fake_scene
        make_fake_scene(root / 'scene.tif', 4 * size, 4 * size, nodata_fraction=0.0)
        return root

    def __init__(self, data_root: str | Path = '', scenes: Sequence[str] | str | None = None,
                 pattern: str | None = '*.tif', modality: str = 's2',
                 bands: Sequence[str] | None = None, size: int = 264, mode: str = 'random',
                 windows_per_epoch: int = 1000, stride: int | None = None,
                 min_valid_fraction: float = 0.5, max_attempts: int = 20, seed: int = 0,
                 **kwargs) -> None:
        if mode not in MODES:
            raise ValueError(f'SceneWindows: mode must be one of {MODES}, got {mode!r}')
        if size < 1 or windows_per_epoch < 1 or max_attempts < 1 or (
                stride is not None and stride < 1):
            raise ValueError('SceneWindows: size, windows_per_epoch, stride and max_attempts '
                             f'must be >= 1, got {size}, {windows_per_epoch}, {stride}, '
                             f'{max_attempts}')
        if not 0 <= min_valid_fraction <= 1:
            raise ValueError(f'SceneWindows: min_valid_fraction must be in [0, 1], got '
                             f'{min_valid_fraction}')
        self.scenes_arg, self.pattern, self.modality = scenes, pattern, modality
        self.bands = tuple(bands) if bands is not None else None
        self.size, self.mode, self.windows_per_epoch = size, mode, windows_per_epoch
        self.stride = stride or size
        self.min_valid_fraction, self.max_attempts, self.seed = (min_valid_fraction,
                                                                 max_attempts, seed)
        self.scenes: list[dict] = []
        self._epoch = RawValue(ctypes.c_int64, 0)  # shared with (persistent) workers
        super().__init__(data_root, **kwargs)

    # ------------------------------------------------------------------ indexing
    def _scene_paths(self) -> list[str]:
        """Scene paths from ``scenes`` (list or list file) and ``pattern`` in ``data_root``."""
        listed: list[str] = []
        if isinstance(self.scenes_arg, str):
            list_file = self.resolve(self.scenes_arg)
            if not list_file.is_file():
                raise FileNotFoundError(f'SceneWindows: scene list {list_file} does not exist')
            try:
                text = list_file.read_text(encoding='utf-8')
            except UnicodeDecodeError as err:
                raise ValueError(f'SceneWindows: scene list {list_file} is not UTF-8 text with '
                                 f'one scene path per line ({err})') from err
            listed = [line.strip() for line in text.splitlines()
                      if line.strip() and not line.startswith('#')]
            if not listed:
                raise ValueError(f'SceneWindows: scene list {list_file} lists no scene path '
                                 '(expected one path per line; # starts a comment)')
        elif self.scenes_arg is not None:
            listed = [str(p) for p in self.scenes_arg]
        paths = [p if not is_local_path(p) else str(self.resolve(p)) for p in listed]
        if self.pattern and self.data_root:
            paths += sorted(str(p) for p in Path(self.data_root).glob(self.pattern))
        if not paths:
            raise FileNotFoundError(f'SceneWindows: no scene: scenes={self.scenes_arg!r}, '
                                    f'pattern {self.pattern!r} in data_root={self.data_root!r}')
        return paths

    def _open_scene(self, path: str) -> dict:
        """Size, georeference and nodata of one scene (one open, no pixels read)."""
        if is_local_path(path) and not Path(path).is_file():
            raise InvalidSampleError(f'{path}: scene file not found')
        try:
            with rasterio.open(path) as src:
                meta = dict(path=path, height=src.height, width=src.width,
                            crs=src.crs.to_string() if src.crs else None,
                            transform=src.transform, nodata=tuple(src.nodatavals),
                            descriptions=tuple(src.descriptions))
        except rasterio.errors.RasterioError as err:
            raise InvalidSampleError(f'{path}: unreadable raster ({err})') from err
        if meta['height'] < self.size or meta['width'] < self.size:
            raise InvalidSampleError(f'{path}: {meta["height"]}x{meta["width"]} is smaller '
                                     f'than one {self.size} px window')
        return meta

    def load_data_list(self) -> list[dict]:
        """Open every scene; index the grid windows, or one placeholder per random window."""
        self.scenes = []
        for path in self._scene_paths():
            try:
                self.scenes.append(self._open_scene(path))
            except InvalidSampleError as err:
                self.reject(path, err)
        if not self.scenes:
            raise FileNotFoundError('SceneWindows: no usable scene (see the errors above)')
        if self.mode == 'random':
            items = [{'index': i} for i in range(self.windows_per_epoch)]
        else:
            items = [{'scene': s, 'row': r, 'col': c} for s, r, c in self._grid_windows()]
        if not items:
            raise FileNotFoundError('SceneWindows: no grid window has min_valid_fraction='
                                    f'{self.min_valid_fraction} valid pixels')
        print_log(f'SceneWindows: {len(self.scenes)} scenes, {len(items)} {self.mode} windows '
                  f'of {self.size} px per epoch', logger='current', level=logging.INFO)
        return items

    def _grid_windows(self) -> list[tuple[int, int, int]]:
        """``(scene index, row, col)`` of every grid window with enough valid pixels."""
        out = []
        for s, scene in enumerate(self.scenes):
            rows = range(0, scene['height'] - self.size + 1, self.stride)
            cols = range(0, scene['width'] - self.size + 1, self.stride)
            with rasterio.open(scene['path']) as src:
                for row in rows:
                    for col in cols:
                        if self.min_valid_fraction == 0 or self._valid_enough(src, row, col):
                            out.append((s, row, col))
        return out

    def _valid_enough(self, src, row: int, col: int) -> bool:
        """Valid-pixel share of a window, from a read at 1/8 resolution."""
        side = max(1, self.size // MASK_DECIMATION)
        raw = src.read(window=Window(col, row, self.size, self.size),
                       out_shape=(src.count, side, side), resampling=Resampling.nearest)
        return _valid_fraction(raw, src.nodatavals) >= self.min_valid_fraction

    # ------------------------------------------------------------------ epochs and items
    @property
    def epoch(self) -> int:
        return int(self._epoch.value)

    def set_epoch(self, epoch: int) -> None:
        """Draw the random windows of ``epoch`` from now on (in every worker)."""
        if epoch < 0:
            raise ValueError(f'SceneWindows.set_epoch: epoch must be >= 0, got {epoch}')
        self._epoch.value = int(epoch)

    def window_of(self, index: int, epoch: int | None = None,
                  attempt: int = 0) -> tuple[int, int, int]:
        """``(scene index, row, col)`` of random window ``index`` of ``epoch``, draw
        ``attempt``: a pure function of ``(seed, epoch, index, attempt)``."""
        epoch = self.epoch if epoch is None else epoch
        rng = np.random.default_rng([self.seed, epoch, index, attempt])
        positions = np.array([(m['height'] - self.size + 1) * (m['width'] - self.size + 1)
                              for m in self.scenes], np.float64)
        scene = int(rng.choice(len(self.scenes), p=positions / positions.sum()))
        meta = self.scenes[scene]
        row = int(rng.integers(0, meta['height'] - self.size + 1))
        col = int(rng.integers(0, meta['width'] - self.size + 1))
        return scene, row, col

    def get_data_info(self, idx: int) -> dict:
        """The item of window ``idx`` (of the current epoch in random mode), pixels read."""
        if self.mode == 'grid':
            entry = super().get_data_info(idx)
            return self._item(entry['scene'], entry['row'], entry['col'])[0]
        if not 0 <= idx < len(self):
            raise IndexError(f'SceneWindows: index {idx} out of range ({len(self)} windows)')
        for attempt in range(self.max_attempts):
            item, valid = self._item(*self.window_of(idx, attempt=attempt))
            if valid >= self.min_valid_fraction:
                return item
        raise InvalidSampleError(f'SceneWindows: window {idx} of epoch {self.epoch}: no draw of '
                                 f'{self.max_attempts} had {self.min_valid_fraction:.0%} valid '
                                 'pixels')

    def _item(self, scene: int, row: int, col: int) -> tuple[dict, float]:
        """Read one window: its item (an :class:`ArrayRaster` and the window's georeference)
        and its share of valid pixels."""
        meta = self.scenes[scene]
        window = Window(col, row, self.size, self.size)
        try:
            with rasterio.open(meta['path']) as src:
                raw = src.read(window=window)
        except rasterio.errors.RasterioError as err:
            raise InvalidSampleError(f'{meta["path"]}: failed to read window {window} '
                                     f'({err})') from err
        transform = window_transform(window, meta['transform'])
        name = f'{Path(meta["path"]).name}:{row}:{col}'
        raster = ArrayRaster(list(raw), name, descriptions=meta['descriptions'],
                             nodata=meta['nodata'], crs=meta['crs'],
                             transform=tuple(transform)[:6])
        item = dict(sample_id=name, paths={self.modality: raster}, scene=meta['path'],
                    window=(row, col, self.size, self.size), crs=meta['crs'],
                    transform=tuple(transform)[:6], epoch=self.epoch)
        if self.bands is not None:
            item['bands'] = {self.modality: self.bands}
        return item, _valid_fraction(raw, meta['nodata'])
