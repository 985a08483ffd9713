"""Seeded fake BigEarthNet v2.0 (reBEN) in the layout of the official archives.

::

    <root>/BigEarthNet-S2/<tile>/<patch_id>/<patch_id>_B01.tif ... _B12.tif (12 bands, B8A)
    <root>/BigEarthNet-S1/<S1 product>/<s1_name>/<s1_name>_VV.tif, _VH.tif
    <root>/metadata.parquet
    <root>/metadata_for_patches_with_snow_cloud_or_shadow.parquet

``<tile>`` is the patch id without its ``_<row>_<col>`` suffix
(``S2A_MSIL2A_20170613T101031_N9999_R022_T33UUP``), the S1 product folder the S1 name without
its ``_<tile>_<row>_<col>`` suffix (``S1A_IW_GRDH_1SDV_20170613T165043``). Both parquet files
have the columns ``patch_id``, ``labels`` (list of 19-class names), ``split`` (``train`` /
``validation`` / ``test``), ``country``, ``s1_name``, ``s2v1_name``, ``contains_seasonal_snow``,
``contains_cloud_or_shadow``; ``metadata.parquet`` holds the clean patches, the other one the
flagged ones. Bands are uint16 at their native 10 / 20 / 60 m grids (``size``, ``size / 2``,
``size / 6`` pixels), S1 float32 dB at 10 m.

Run as a script: ``python -m eossl.testing.bigearthnet_v2 OUT_DIR [--num-patches N --size P]``.
"""
import argparse
import datetime
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from bigearthnet_common.constants import NEW_LABELS_ORIGINAL_ORDER

from .bigearthnet import S2_BAND_RESOLUTION
from .geotiff_folder import write_geotiff

SPLITS = ('train', 'validation', 'test')
METADATA = 'metadata.parquet'
FLAGGED_METADATA = 'metadata_for_patches_with_snow_cloud_or_shadow.parquet'
COLUMNS = ('patch_id', 'labels', 'split', 'country', 's1_name', 's2v1_name',
           'contains_seasonal_snow', 'contains_cloud_or_shadow')
COUNTRIES = ('Austria', 'Belgium', 'Finland', 'Ireland', 'Lithuania', 'Portugal', 'Serbia',
             'Switzerland')


def _names(rng: np.random.Generator) -> dict:
    """patch_id, s1_name, s2v1_name and UTM zone of one fake patch."""
    zone = int(rng.integers(29, 36))
    tile = f'{zone}{rng.choice(list("STUVW"))}{"".join(rng.choice(list("MNPQ"), 2))}'
    when = datetime.datetime(2017, 6, 1, 9) + datetime.timedelta(
        days=int(rng.integers(0, 365)), seconds=int(rng.integers(0, 3 * 3600)))
    s1_when = when.replace(hour=int(rng.integers(4, 18)))
    row, col = (int(v) for v in rng.integers(0, 100, 2))
    sat = rng.choice(['A', 'B'])
    return dict(
        zone=zone,
        patch_id=(f'S2{sat}_MSIL2A_{when:%Y%m%dT%H%M%S}_N9999_R{int(rng.integers(1, 143)):03d}_'
                  f'T{tile}_{row}_{col}'),
        s1_name=(f'S1{rng.choice(["A", "B"])}_IW_GRDH_1SDV_{s1_when:%Y%m%dT%H%M%S}_{tile}_'
                 f'{row}_{col}'),
        s2v1_name=f'S2{sat}_MSIL2A_{when:%Y%m%d}T{when.hour}{when:%M%S}_{row}_{col}')


def s2_folder(root: Path, patch_id: str) -> Path:
    """``BigEarthNet-S2/<tile>/<patch_id>`` of a patch (the tile: the id without row/col)."""
    return root / 'BigEarthNet-S2' / patch_id.rsplit('_', 2)[0] / patch_id


def s1_folder(root: Path, s1_name: str) -> Path:
    """``BigEarthNet-S1/<product>/<s1_name>`` (the product: the name without tile/row/col)."""
    return root / 'BigEarthNet-S1' / s1_name.rsplit('_', 3)[0] / s1_name


def write_metadata(path: str | Path, rows: Sequence[dict]) -> Path:
    """Write ``rows`` (dicts with :data:`COLUMNS`) as a reBEN metadata parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = pa.table({
        'patch_id': pa.array([r['patch_id'] for r in rows], pa.string()),
        'labels': pa.array([list(r['labels']) for r in rows], pa.list_(pa.string())),
        **{key: pa.array([r[key] for r in rows], pa.string())
           for key in ('split', 'country', 's1_name', 's2v1_name')},
        **{key: pa.array([bool(r[key]) for r in rows], pa.bool_())
           for key in ('contains_seasonal_snow', 'contains_cloud_or_shadow')},
    })
    pq.write_table(table, path)
    return Path(path)


def make_fake_bigearthnet_v2(root: str | Path, num_patches: int = 6, seed: int = 0,
                             size: int = 120, labels: Sequence[Sequence[str]] | None = None,
                             splits: Sequence[str] | None = None,
                             flagged: Sequence[int] = ()) -> list[dict]:
    """Write fake reBEN patches (S2, S1 and both metadata files) under ``root``.

    Args:
        size: pixels of a 10 m band (a multiple of 6; the real value is 120).
        labels: 19-class names per patch; default 1–3 random names.
        splits: split per patch; default ``train, validation, test`` in turn.
        flagged: indexes of patches marked cloudy (even index) or snowy (odd index); they go
            to the second parquet file, as in the release.

    Returns:
        The metadata rows, in patch order.
    """
    if size % 6:
        raise ValueError(f'size must be a multiple of 6 (10/20/60 m grids), got {size}')
    for name, given in (('labels', labels), ('splits', splits)):
        if given is not None and len(given) != num_patches:
            raise ValueError(f'{name} must hold one entry per patch ({num_patches})')
    rng = np.random.default_rng(seed)
    root = Path(root)
    rows = []
    for i in range(num_patches):
        names = _names(rng)
        patch_labels = list(labels[i]) if labels is not None else sorted(
            rng.choice(NEW_LABELS_ORIGINAL_ORDER, int(rng.integers(1, 4)), replace=False),
            key=NEW_LABELS_ORIGINAL_ORDER.index)
        epsg = 32600 + names['zone']
        origin = (float(rng.integers(2500, 5800) * 120), float(rng.integers(33000, 58000) * 120))
        folder = s2_folder(root, names['patch_id'])
        for band, resolution in S2_BAND_RESOLUTION.items():
            side = size * 10 // resolution
            pixels = rng.normal(1500, 600, (side, side)).clip(1, 10000).astype(np.uint16)
            write_geotiff(folder / f'{names["patch_id"]}_{band}.tif', pixels, epsg=epsg,
                          origin=origin, resolution=resolution)
        folder = s1_folder(root, names['s1_name'])
        for band, mean_db in (('VV', -12.0), ('VH', -19.0)):
            write_geotiff(folder / f'{names["s1_name"]}_{band}.tif',
                          rng.normal(mean_db, 3.0, (size, size)).astype(np.float32), epsg=epsg,
                          origin=origin, resolution=10)
        rows.append(dict(
            patch_id=names['patch_id'], labels=patch_labels,
            split=splits[i] if splits is not None else SPLITS[i % len(SPLITS)],
            country=str(rng.choice(COUNTRIES)), s1_name=names['s1_name'],
            s2v1_name=names['s2v1_name'],
            contains_seasonal_snow=i in flagged and i % 2 == 1,
            contains_cloud_or_shadow=i in flagged and i % 2 == 0))
    clean = [r for i, r in enumerate(rows) if i not in flagged]
    write_metadata(root / METADATA, clean)
    write_metadata(root / FLAGGED_METADATA, [r for i, r in enumerate(rows) if i in flagged])
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write a fake BigEarthNet v2.0 into OUT_DIR."""
    parser = argparse.ArgumentParser(description='Write a seeded fake BigEarthNet v2.0 (reBEN).')
    parser.add_argument('out_dir')
    parser.add_argument('--num-patches', type=int, default=6)
    parser.add_argument('--size', type=int, default=120)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    rows = make_fake_bigearthnet_v2(args.out_dir, args.num_patches, args.seed, args.size)
    print(f'wrote {len(rows)} fake BigEarthNet v2 patches into {args.out_dir}')


if __name__ == '__main__':
    main()
