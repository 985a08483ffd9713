"""Seeded fake BigEarthNet v1.0 in the exact layout of the official archives.

S2 patches hold 12 single-band uint16 GeoTIFFs (10 m bands at ``size``, 20 m at ``size / 2``,
60 m at ``size / 6`` pixels, as the real 120 / 60 / 20) and a ``_labels_metadata.json`` with real
CORINE names; each S1 twin holds float32 dB ``VV`` / ``VH`` and a JSON whose
``corresponding_s2_patch`` names its S2 patch. JSON keys follow the real files, including the S1
JSON's ``lly`` where the S2 JSON says ``lry``. S2 names keep the real quirk of an unpadded hour
(``..._20170924T93020_69_24``).

Run as a script: ``python -m eossl.testing.bigearthnet OUT_DIR [--num-patches N --size P]``.
"""
import argparse
import datetime
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from bigearthnet_common.constants import OLD2NEW_LABELS_DICT, OLD_LABELS_ORIGINAL_ORDER
from rasterio.crs import CRS

from .geotiff_folder import write_geotiff

# file-name token -> pixel size in metres
S2_BAND_RESOLUTION = {'B01': 60, 'B02': 10, 'B03': 10, 'B04': 10, 'B05': 20, 'B06': 20,
                      'B07': 20, 'B08': 10, 'B8A': 20, 'B09': 60, 'B11': 20, 'B12': 20}
LABELED_NAMES = [name for name in OLD_LABELS_ORIGINAL_ORDER if OLD2NEW_LABELS_DICT[name]]


def _fake_names(rng: np.random.Generator, cell: int, s2_name: str | None) -> dict:
    """Names, tile, acquisition times and UTM zone of one fake patch pair."""
    zone = int(rng.integers(29, 36))
    tile = f'{zone}{rng.choice(list("STUVW"))}{"".join(rng.choice(list("MNPQ"), 2))}'
    when = datetime.datetime(2017, 6, 1, 9) + datetime.timedelta(
        days=int(rng.integers(0, 365)), seconds=int(rng.integers(0, 3 * 3600)))
    sat = rng.choice(['A', 'B'])
    # real S2 patch names write the hour without its leading zero
    s2_time = f'{when:%Y%m%d}T{when.hour}{when:%M%S}'
    row_col = s2_name.rsplit('_', 2)[1:] if s2_name else divmod(cell, 100)
    suffix = '_'.join(str(v) for v in row_col)
    s1_when = when.replace(hour=int(rng.integers(4, 18)))
    return dict(
        zone=zone, s2_when=when, s1_when=s1_when,
        s2=s2_name or f'S2{sat}_MSIL2A_{s2_time}_{suffix}',
        s1=f'S1{rng.choice(["A", "B"])}_IW_GRDH_1SDV_{s1_when:%Y%m%dT%H%M%S}_{tile}_{suffix}',
        tile_source=(f'S2{sat}_MSIL1C_{s2_time}_N0205_R{int(rng.integers(1, 143)):03d}_T{tile}_'
                     f'{when:%Y%m%dT%H%M%S}.SAFE'))


def make_fake_bigearthnet(root: str | Path,
                          num_patches: int = 4,
                          seed: int = 0,
                          size: int = 120,
                          patch_names: Sequence[str] | None = None,
                          labels: Sequence[Sequence[str]] | None = None,
                          s2_dir: str = 'BigEarthNet-v1.0',
                          s1_dir: str | None = 'BigEarthNet-S1-v1.0') -> dict[str, str]:
    """Write fake S2 patches (and their S1 twins) under ``root``.

    Args:
        num_patches: how many patches, unless ``patch_names`` is given.
        size: pixels of a 10 m band (a multiple of 6; the real value is 120).
        patch_names: S2 patch names to use (e.g. real names from an official list).
        labels: 43-class CORINE names per patch; by default 1–4 random names that all have a
            19-class counterpart.
        s2_dir, s1_dir: the tree names under ``root``; ``s1_dir=None`` writes no S1 tree.

    Returns:
        ``{S2 patch name: S1 patch name}``.
    """
    if size % 6:
        raise ValueError(f'size must be a multiple of 6 (10/20/60 m grids), got {size}')
    count = len(patch_names) if patch_names is not None else num_patches
    if labels is not None and len(labels) != count:
        raise ValueError(f'labels must hold one list per patch ({count}), got {len(labels)}')
    rng = np.random.default_rng(seed)
    root = Path(root)
    pairs = {}
    for i, cell in enumerate(rng.choice(10000, count, replace=False)):
        names = _fake_names(rng, int(cell), patch_names[i] if patch_names is not None else None)
        patch_labels = list(labels[i]) if labels is not None else sorted(
            rng.choice(LABELED_NAMES, int(rng.integers(1, 5)), replace=False),
            key=OLD_LABELS_ORIGINAL_ORDER.index)
        epsg = 32600 + names['zone']
        ulx, uly = int(rng.integers(2500, 5800)) * 120, int(rng.integers(33000, 58000)) * 120
        extent = size * 10
        projection = CRS.from_epsg(epsg).to_wkt()
        s2_folder = root / s2_dir / names['s2']
        for band, resolution in S2_BAND_RESOLUTION.items():
            side = extent // resolution
            pixels = rng.normal(1500, 600, (side, side))
            write_geotiff(s2_folder / f'{names["s2"]}_{band}.tif',
                          pixels.clip(1, 10000).astype(np.uint16), epsg=epsg,
                          origin=(float(ulx), float(uly)), resolution=resolution)
        (s2_folder / f'{names["s2"]}_labels_metadata.json').write_text(json.dumps({
            'labels': patch_labels,
            'coordinates': {'ulx': ulx, 'uly': uly, 'lrx': ulx + extent, 'lry': uly - extent},
            'projection': projection, 'tile_source': names['tile_source'],
            'acquisition_date': f'{names["s2_when"]:%Y-%m-%d %H:%M:%S}'}))
        pairs[names['s2']] = names['s1']
        if s1_dir is None:
            continue
        s1_folder = root / s1_dir / names['s1']
        stop = names['s1_when'] + datetime.timedelta(seconds=25)
        for band, mean_db in (('VV', -12.0), ('VH', -19.0)):
            write_geotiff(s1_folder / f'{names["s1"]}_{band}.tif',
                          rng.normal(mean_db, 3.0, (size, size)).astype(np.float32), epsg=epsg,
                          origin=(float(ulx), float(uly)), resolution=10)
        (s1_folder / f'{names["s1"]}_labels_metadata.json').write_text(json.dumps({
            'labels': patch_labels,
            'coordinates': {'ulx': ulx, 'uly': uly, 'lrx': ulx + extent, 'lly': uly - extent},
            'projection': projection, 'corresponding_s2_patch': names['s2'],
            'scene_source': f'{names["s1"].rsplit("_", 3)[0]}_{stop:%Y%m%dT%H%M%S}',
            'acquisition_time': f'{names["s1_when"]:%Y-%m-%dT%H:%M:%S}'}))
    return pairs


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write a fake BigEarthNet v1.0 into OUT_DIR."""
    parser = argparse.ArgumentParser(description='Write a seeded fake BigEarthNet v1.0.')
    parser.add_argument('out_dir')
    parser.add_argument('--num-patches', type=int, default=4)
    parser.add_argument('--size', type=int, default=120)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    pairs = make_fake_bigearthnet(args.out_dir, args.num_patches, args.seed, args.size)
    print(f'wrote {len(pairs)} fake BigEarthNet S2/S1 patch pairs into {args.out_dir}')


if __name__ == '__main__':
    main()
