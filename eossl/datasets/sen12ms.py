"""SEN12MS: co-registered Sentinel-1 / Sentinel-2 / land-cover triplets of 256×256 patches.

Layout (the official archive)::

    <data_root>/ROIs1158_spring/s1_<scene>/ROIs1158_spring_s1_<scene>_p<n>.tif   (VV, VH; dB)
                               /s2_<scene>/ROIs1158_spring_s2_<scene>_p<n>.tif   (13 L1C bands)
                               /lc_<scene>/ROIs1158_spring_lc_<scene>_p<n>.tif   (4 land-cover maps)
    ... likewise ROIs1868_summer, ROIs1970_fall, ROIs2017_winter

Each modality of a patch is one multi-band file; the item records the band names so a loader can
select bands by name.
"""
import os
import re
from collections.abc import Sequence
from pathlib import Path

from eossl.registry import DATASETS

from .bands import band_names
from .base import EODataset, list_subfolders, read_name_list
from .errors import InvalidSampleError

SEASONS = ('ROIs1158_spring', 'ROIs1868_summer', 'ROIs1970_fall', 'ROIs2017_winter')
# band names in file order (canonical names of eossl.datasets.bands for the Sentinel bands)
BANDS = {
    's1': band_names('s1_grd'),
    's2': band_names('s2_l1c'),
    'lc': ('IGBP', 'LCCS-LC', 'LCCS-LU', 'LCCS-SH'),
}
# The S1 file of this patch is corrupt in the official release (reported by its users).
KNOWN_CORRUPT = ('ROIs1868_summer_s1_146_p202', )
# A patch file name (``ROIs1158_spring_s2_1_p30.tif``, suffix optional), a sample id
# (``ROIs1158_spring_1_p30``, e.g. a key of ``invalid_samples``) or a scene, written as in the
# official split lists (``ROIs1158_spring/s1_63``) or with underscores.
ENTRY_RE = re.compile(r'(ROIs\d{4}_[a-z]+)[/_](?:(?:s1|s2|lc)_)?(\d+)(?:_p(\d+)(?:\.tif)?)?')
PATCH_FILE_RE = re.compile(r'(ROIs\d{4}_[a-z]+)_(s1|s2|lc)_(\d+)_p(\d+)\.tif')
# (season, scene, patch); patch None means the whole scene
Key = tuple[str, int, int | None]


def parse_entry(text: str) -> Key | None:
    """The key named by a split-list or exclusion entry; None when ``text`` is not one."""
    match = ENTRY_RE.fullmatch(text)
    if match is None or match[1] not in SEASONS:
        return None
    return match[1], int(match[2]), None if match[3] is None else int(match[3])


@DATASETS.register_module()
class SEN12MS(EODataset):
    """SEN12MS patches with any subset of the s1 / s2 / lc modalities.

    Items: ``sample_id`` (``ROIs1158_spring_1_p30``), ``paths`` = ``{modality: file}``,
    ``bands`` = ``{modality: band names in file order}``, ``season`` and ``scene``.

    Args:
        data_root: the folder holding the ``ROIs*`` season folders.
        modalities: any non-empty subset of ``('s1', 's2', 'lc')``; a patch is kept only when
            all of them are on disk.
        split_file: a text list (one entry per line, as the SEN12MS repository's
            ``train_list.txt`` / ``test_list.txt`` / ``SEN12MS_holdOutScenes.txt``) of patch
            file names of any modality (``ROIs1158_spring_s2_1_p30.tif``), sample ids
            (``ROIs1158_spring_1_p30``) or scenes (``ROIs1158_spring/s1_63``). None: every
            patch on disk.
        exclude: patches or scenes (same forms, so ``invalid_samples`` keys work) left out
            before their files are checked; by default the known corrupt
            ``ROIs1868_summer_s1_146_p202`` with its whole triplet.
        **kwargs: :class:`EODataset` arguments (``skip_invalid``, ``pipeline``, ...).
    """

    @classmethod
    def write_fake_data(cls, root: Path, dataset: dict, size: int) -> Path:
        """Write a tiny fake SEN12MS (4 S1 + S2 patches of 128 px: loaders crop from it) under
        ``root`` for ``--preset cpu-tiny`` and return the data_root to read."""
        from eossl.testing import make_fake_sen12ms
        make_fake_sen12ms(root, num_patches=4, size=128, modalities=('s1', 's2'))
        return root

    def __init__(self,
                 data_root: str | Path,
                 modalities: Sequence[str] = ('s1', 's2'),
                 split_file: str | Path | None = None,
                 exclude: Sequence[str] = KNOWN_CORRUPT,
                 **kwargs) -> None:
        if not modalities or not set(modalities) <= set(BANDS):
            raise ValueError(f'SEN12MS: modalities must be a non-empty subset of {tuple(BANDS)}, '
                             f'got {modalities!r}')
        self.modalities = tuple(m for m in BANDS if m in modalities)
        self.split_file = split_file
        self.exclude: set[Key] = set()
        for entry in exclude:
            key = parse_entry(entry)
            if key is None:
                raise ValueError(f'SEN12MS: exclude entry {entry!r} is neither a patch like '
                                 "'ROIs1868_summer_s1_146_p202' (or its sample id "
                                 "'ROIs1868_summer_146_p202') nor a scene like "
                                 "'ROIs1868_summer/s1_146'")
            self.exclude.add(key)
        super().__init__(data_root, **kwargs)

    def load_data_list(self) -> list[dict]:
        """Index the patches on disk, restricted to ``split_file``, minus ``exclude``."""
        root = self.require_dir('.', 'SEN12MS root (data_root)')
        found = self._scan(root)
        keys = [key for key in self._select(found) if not self._is_excluded(key)]
        items = []
        for season, scene, patch in keys:
            paths = {mod: str(self._file(root, mod, season, scene, patch))
                     for mod in self.modalities}
            sample_id = f'{season}_{scene}_p{patch}'
            missing = [mod for mod in self.modalities if mod not in found[season, scene, patch]]
            if missing:
                self.reject(sample_id, InvalidSampleError(
                    f'{paths[missing[0]]} is missing (modalities {self.modalities} are required '
                    f'for patch {sample_id})'))
                continue
            items.append({'sample_id': sample_id, 'paths': paths, 'season': season,
                          'scene': scene,
                          'bands': {mod: BANDS[mod] for mod in self.modalities}})
        if not items:
            raise FileNotFoundError(f'SEN12MS: no patch of modalities {self.modalities} left under '
                                    f'{root} (split_file={self.split_file!r}, '
                                    f'{len(self.invalid_samples)} invalid)')
        return items

    def _scan(self, root: Path) -> dict[Key, set[str]]:
        """(season, scene, patch) -> the selected modalities with a file on disk."""
        seasons = [season for season in SEASONS if (root / season).is_dir()]
        if not seasons:
            raise FileNotFoundError(f'SEN12MS: {root} holds none of the season folders {SEASONS}')
        found: dict[Key, set[str]] = {}
        for season in seasons:
            for folder in list_subfolders(root / season):
                mod, _, scene = folder.partition('_')
                if mod not in self.modalities or not scene.isdigit():
                    continue
                for name in os.listdir(root / season / folder):
                    match = PATCH_FILE_RE.fullmatch(name)
                    if match and (match[1], match[2], match[3]) == (season, mod, scene):
                        found.setdefault((season, int(scene), int(match[4])), set()).add(mod)
        return found

    def _select(self, found: dict[Key, set[str]]) -> list[Key]:
        """The keys the split file names (all of ``found`` without one), sorted."""
        if self.split_file is None:
            return sorted(found)
        split_path = self.resolve(self.split_file)
        by_scene: dict[tuple[str, int], list[Key]] = {}
        for key in found:
            by_scene.setdefault(key[:2], []).append(key)
        selected: set[Key] = set()
        for line, text in read_name_list(split_path):
            key = parse_entry(text)
            if key is None:
                raise ValueError(f'{split_path} line {line}: {text!r} is neither a SEN12MS patch '
                                 "file name like 'ROIs1158_spring_s2_1_p30.tif' nor a scene like "
                                 "'ROIs1158_spring/s1_63'")
            matches = by_scene.get(key[:2], []) if key[2] is None else \
                [key] if key in found else []
            if not matches:
                self.reject(text, InvalidSampleError(
                    f'{split_path} line {line}: {text} is not on disk under {self.data_root}'))
            selected.update(matches)
        return sorted(selected)

    def _is_excluded(self, key: Key) -> bool:
        """Whether ``exclude`` names this patch or its scene."""
        return key in self.exclude or (key[0], key[1], None) in self.exclude

    @staticmethod
    def _file(root: Path, mod: str, season: str, scene: int, patch: int) -> Path:
        """The path of one modality of a patch in the official layout."""
        return root / season / f'{mod}_{scene}' / f'{season}_{mod}_{scene}_p{patch}.tif'
