"""Real Sentinel-2 data for ``real_imagery.py``: unlabelled scenes to pretrain on and labelled
EuroSAT-MS patches to probe, read from local copies and cached in one ``.npz``.

Usage::

    python benchmarks/real_data.py --rico-hdl RICO/integration_tests/tiffs \
        --eurosat EUROSAT_FOLDER [--bigearthnet-common] --out /tmp/eossl_real_s2.npz

Nothing is downloaded here or by any test; where each source comes from (and its licence) is in
``benchmarks/README.md`` ("Real imagery"):

- ``--rico-hdl``: the ``integration_tests/tiffs`` folder of a clone of ``kai-tub/rico-hdl``
  (GitHub, MIT): two Major-TOM Core S2 L2A cells (1068 px, 10 m), SSL4EO-S12 location
  0000200 (two L1C ``s2c`` and two L2A ``s2a`` seasons, 264 px; where the clone has its ``s1``
  folder, the two S1 GRD seasons) and one BigEarthNet-S2 L2A patch (120 px).
- ``--bigearthnet-common``: the six BigEarthNet-S2 L2A example patches that ship inside the
  installed ``bigearthnet-common`` package, and their six BigEarthNet-S1 counterparts.
- ``--eurosat``: a folder holding ``<Class>/<Class>_<n>.tif`` EuroSAT-MS patches (13 bands,
  64 px, L1C, B8A stored last), at any depth — e.g. the 1 % sample of ``data/Euro_MS_Test_red``
  in ``shrey160/EuroSAT_MS_Deep_Learning`` (GitHub), or the full ``EuroSAT_MS`` release.

The cache holds every scene as ``(13, H, W)`` uint16 digital numbers in L1C band order
(``B1 … B8 B8A B9 B10 B11 B12``) on the 10 m grid (20 m / 60 m bands resampled bilinearly).
L2A products have no ``B10`` (cirrus): it is filled with the SSL4EO-S12 L1C mean of ``B10``
(22 DN), which the recipes' z-score maps to 0, the band mean (PANGAEA's fill rule); a pixel
with a 0 in any band stays nodata. L2A products of processing baseline 04.00 or later
(``_N04xx_`` / ``_N05xx_`` in the name) store reflectance × 10000 + 1000 (the
``BOA_ADD_OFFSET`` of -1000): ``--keep-l2a-offset`` keeps the stored numbers, by default the
offset is removed so every L2A scene is reflectance × 10000 as in the SSL4EO-S12 / BigEarthNet
statistics.

Co-registered Sentinel-1 (for the S1/S2 methods) is kept as ``(2, H, W)`` float32 VV, VH
backscatter in dB on the scene's grid, for the scenes that have it: SSL4EO-S12 ``s1`` season k
beside ``s2c`` / ``s2a`` season k of the same location (sorted by date, the dataset's pairing),
a BigEarthNet-S1 patch beside its ``corresponding_s2_patch``. The Major-TOM S1RTC cells of
rico-hdl are not used (the 0U cell's GeoTIFFs are large files a shallow mirror may lack, the other
cell has no S2 counterpart), nor rico-hdl's BigEarthNet-S1 patch (its S2 counterpart is absent).
"""
import argparse
import re
import tarfile
import tempfile
from pathlib import Path

import numpy as np

L1C_BANDS = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12')
EUROSAT_FILE_BANDS = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B9', 'B10', 'B11', 'B12',
                      'B8A')
EUROSAT_CLASSES = ('AnnualCrop', 'Forest', 'HerbaceousVegetation', 'Highway', 'Industrial',
                   'Pasture', 'PermanentCrop', 'Residential', 'River', 'SeaLake')
B10_FILL = 22  # SSL4EO-S12 L1C mean of B10 (DN), eossl.datasets.bands
L2A_OFFSET = 1000
DEFAULT_CACHE = Path('/tmp/eossl_real_s2.npz')
_BAND_FILE = re.compile(r'_?(B\d[\dA]?)\.tif$', re.IGNORECASE)


def _band_key(name: str) -> str:
    """``'B02'`` / ``'B2'`` / ``'B8A'`` → ``'B2'`` / ``'B8A'``."""
    return 'B' + name[1:].lstrip('0').upper()


def _read_band_folder(folder: Path) -> dict[str, np.ndarray]:
    """``{band: (H, W) array}`` of the one-band GeoTIFFs ``*B??.tif`` in ``folder``."""
    import rasterio
    bands = {}
    for path in sorted(folder.glob('*.tif')):
        match = _BAND_FILE.search(path.name)
        if match:
            with rasterio.open(path) as src:
                bands[_band_key(match.group(1))] = src.read(1)
    return bands


def _stack(bands: dict[str, np.ndarray], level: str, offset: int, where: Path) -> np.ndarray:
    """``(13, H, W)`` uint16 on the grid of the largest band (bilinear), L1C order."""
    import torch
    import torch.nn.functional as F
    needed = [b for b in L1C_BANDS if not (level == 'L2A' and b == 'B10')]
    missing = [b for b in needed if b not in bands]
    if missing:
        raise FileNotFoundError(f'real_data: {where} lacks bands {missing} (found '
                                f'{sorted(bands)})')
    side = max(a.shape[0] for a in bands.values())
    out = np.full((13, side, side), B10_FILL, np.float32)
    for i, band in enumerate(L1C_BANDS):
        if band not in needed:
            continue
        x = torch.from_numpy(bands[band].astype(np.float32))[None, None]
        if x.shape[-1] != side:
            x = F.interpolate(x, size=(side, side), mode='bilinear', align_corners=False)
        out[i] = x[0, 0].numpy()
    nodata = (out == 0).any(0)
    stored = [i for i, band in enumerate(L1C_BANDS) if band in needed]  # not the B10 fill
    out[stored] = np.where(nodata, 0, np.clip(out[stored] - offset, 1, None))
    out[:, nodata] = 0
    return out.round().astype(np.uint16)


def _offset(name: str, keep: bool) -> int:
    """The L2A ``BOA_ADD_OFFSET`` of a product name (baseline >= 04.00), unless ``keep``."""
    match = re.search(r'_N(\d{2})\d{2}_', name)
    return 0 if keep or not match or int(match.group(1)) < 4 or match.group(1) == '99' else (
        L2A_OFFSET)


def _read_s1_folder(folder: Path) -> np.ndarray:
    """``(2, H, W)`` float32 VV, VH (dB) of the ``*VV.tif`` / ``*VH.tif`` files in ``folder``."""
    import rasterio
    out = []
    for pol in ('VV', 'VH'):
        files = sorted(folder.glob(f'*{pol}.tif'))
        if not files:
            raise FileNotFoundError(f'real_data: {folder} has no {pol} GeoTIFF (*{pol}.tif)')
        with rasterio.open(files[0]) as src:
            out.append(src.read(1).astype(np.float32))
    return np.stack(out)


def rico_hdl_s1(tiffs: Path) -> dict[str, np.ndarray]:
    """``{S2 scene name: (2, H, W) dB}``: SSL4EO-S12 ``s1`` seasons beside the ``s2c`` / ``s2a``
    seasons of the same location, paired in date order (empty without an ``s1`` folder)."""
    out = {}
    for location in sorted((tiffs / 'SSL4EO-S12' / 's1').glob('*')):
        s1 = sorted(p for p in location.iterdir() if p.is_dir())
        for modality in ('s2c', 's2a'):
            s2 = sorted((tiffs / 'SSL4EO-S12' / modality / location.name).glob('*'))
            for s1_season, s2_season in zip(s1, s2):
                out[f'ssl4eo_{modality}/{location.name}/{s2_season.name[:8]}'] = (
                    _read_s1_folder(s1_season))
    return out


def rico_hdl_scenes(tiffs: Path, keep_offset: bool = False) -> dict[str, tuple[str, np.ndarray]]:
    """``{name: (level, (13, H, W) uint16)}`` of the S2 scenes in rico-hdl's test tiffs."""
    scenes = {}
    for folder in sorted((tiffs / 'Major-TOM-Core' / 'S2L2A').glob('*/*/*')):
        scenes[f'majortom/{folder.parent.name}'] = (
            'L2A', _stack(_read_band_folder(folder), 'L2A', _offset(folder.name, keep_offset),
                          folder))
    for modality, level in (('s2c', 'L1C'), ('s2a', 'L2A')):
        for folder in sorted((tiffs / 'SSL4EO-S12' / modality).glob('*/*')):
            scenes[f'ssl4eo_{modality}/{folder.parent.name}/{folder.name[:8]}'] = (
                level, _stack(_read_band_folder(folder), level, 0, folder))
    for folder in sorted((tiffs / 'BigEarthNet' / 'BigEarthNet-S2').glob('*/*')):
        scenes[f'bigearthnet/{folder.name}'] = ('L2A', _stack(_read_band_folder(folder), 'L2A',
                                                              0, folder))
    if not scenes:
        raise FileNotFoundError(f'real_data: no Sentinel-2 scene under {tiffs} (expected '
                                "rico-hdl's integration_tests/tiffs with Major-TOM-Core/S2L2A, "
                                'SSL4EO-S12/s2c, BigEarthNet/BigEarthNet-S2)')
    return scenes


def bigearthnet_common_scenes() -> tuple[dict[str, tuple[str, np.ndarray]],
                                         dict[str, np.ndarray]]:
    """The S2 example patches inside the installed ``bigearthnet-common`` package, and the S1
    example patches by the name of their ``corresponding_s2_patch``."""
    import json

    import bigearthnet_common
    folder = Path(bigearthnet_common.__file__).parent
    scenes, s1 = {}, {}
    for sensor in ('S2', 'S1'):
        archive = folder / f'BigEarthNet-{sensor}-Example.tar.bz2'
        if not archive.exists():
            raise FileNotFoundError(f'real_data: {archive} not found (bigearthnet-common 2.8 '
                                    'ships it)')
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive) as tar:
            tar.extractall(tmp, filter='data')
            if sensor == 'S2':
                for patch in sorted(p.parent for p in Path(tmp).rglob('*_B02.tif')):
                    scenes[f'bigearthnet/{patch.name}'] = (
                        'L2A', _stack(_read_band_folder(patch), 'L2A', 0, patch))
            for meta in sorted(Path(tmp).rglob('*_labels_metadata.json')) if sensor == 'S1' else ():
                partner = json.loads(meta.read_text())['corresponding_s2_patch']
                s1[f'bigearthnet/{partner}'] = _read_s1_folder(meta.parent)
    return scenes, s1


def eurosat_patches(folder: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(N, 13, 64, 64)`` uint16 in L1C order, class indices ``(N,)`` and ids of every
    ``<Class>/<Class>_<n>.tif`` under ``folder``."""
    import rasterio
    order = [EUROSAT_FILE_BANDS.index(b) for b in L1C_BANDS]
    images, labels, ids = [], [], []
    for path in sorted(folder.rglob('*.tif')):
        name = path.parent.name
        if name not in EUROSAT_CLASSES or not path.stem.startswith(f'{name}_'):
            continue
        with rasterio.open(path) as src:
            if src.count != 13:
                raise ValueError(f'real_data: {path} has {src.count} bands, EuroSAT-MS has 13')
            images.append(src.read()[order])
        labels.append(EUROSAT_CLASSES.index(name))
        ids.append(f'{name}/{path.stem}')
    if len(set(labels)) < 2:
        raise FileNotFoundError(f'real_data: no EuroSAT-MS class folders (<Class>/<Class>_<n>.tif, '
                                f'classes {EUROSAT_CLASSES}) under {folder}')
    return np.stack(images), np.array(labels), ids


def assemble(rico_hdl: Path, eurosat: Path, out: Path, bigearthnet_common: bool = True,
             keep_l2a_offset: bool = False) -> Path:
    """Read every source and write the cache ``out`` (see the module docstring)."""
    scenes, s1 = rico_hdl_scenes(rico_hdl, keep_l2a_offset), rico_hdl_s1(rico_hdl)
    if bigearthnet_common:
        more, more_s1 = bigearthnet_common_scenes()
        scenes.update(more)
        s1.update(more_s1)
    images, labels, ids = eurosat_patches(eurosat)
    names = sorted(scenes)
    for name, radar in s1.items():
        if name not in scenes or radar.shape[1:] != scenes[name][1].shape[1:]:
            raise ValueError(f'real_data: the S1 of {name} {radar.shape[1:]} has no S2 scene of '
                             'that name and grid')
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, scene_names=np.array(names), scene_levels=np.array([scenes[n][0] for n in names]),
             **{f'scene_{i}': scenes[n][1] for i, n in enumerate(names)},
             **{f's1_{i}': s1[n] for i, n in enumerate(names) if n in s1},
             eurosat=images, eurosat_label=labels, eurosat_id=np.array(ids),
             eurosat_classes=np.array(EUROSAT_CLASSES), l2a_offset_removed=not keep_l2a_offset)
    return out


def load(path: Path = DEFAULT_CACHE) -> dict:
    """The cache as ``{'scenes': {name: (level, array)}, 's1': {name: (2, H, W) dB}, 'eurosat',
    'eurosat_label', ...}`` (``'s1'``: the scenes with co-registered S1); a missing cache is a
    clear error naming the command that builds it."""
    path = Path(path)
    if not path.exists():
        raise SystemExit(f'real-imagery data not found at {path}: build it with `python '
                         'benchmarks/real_data.py --rico-hdl RICO/integration_tests/tiffs '
                         f'--eurosat EUROSAT_FOLDER --out {path}` (sources: benchmarks/README.md, '
                         '"Real imagery")')
    with np.load(path) as data:
        names, levels = data['scene_names'].tolist(), data['scene_levels'].tolist()
        out = {k: data[k] for k in data.files if not k.startswith(('scene', 's1_'))}
        out['scenes'] = {n: (lv, data[f'scene_{i}']) for i, (n, lv) in enumerate(zip(names,
                                                                                    levels))}
        out['s1'] = {n: data[f's1_{i}'] for i, n in enumerate(names) if f's1_{i}' in data.files}
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rico-hdl', type=Path, required=True)
    parser.add_argument('--eurosat', type=Path, required=True)
    parser.add_argument('--no-bigearthnet-common', action='store_true')
    parser.add_argument('--keep-l2a-offset', action='store_true')
    parser.add_argument('--out', type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    out = assemble(args.rico_hdl, args.eurosat, args.out, not args.no_bigearthnet_common,
                   args.keep_l2a_offset)
    data = load(out)
    for name, (level, arr) in data['scenes'].items():
        valid = (arr > 0).all(0)
        radar = (f" S1 VV p50 {np.median(data['s1'][name][0]):.1f} dB" if name in data['s1']
                 else '')
        print(f'{name:60s} {level} {arr.shape[1]}x{arr.shape[2]} valid {valid.mean():.2f} '
              f'B2 p1/p50 {np.percentile(arr[1][valid], 1):.0f}/{np.median(arr[1][valid]):.0f}'
              f'{radar}')
    print(f'EuroSAT-MS: {len(data["eurosat"])} patches, per class '
          f'{np.bincount(data["eurosat_label"]).tolist()}; wrote {out}')


if __name__ == '__main__':
    main()
