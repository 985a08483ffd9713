"""Disjoint student / predicted / teacher patch sets for PerA's perfectly aligned view pairs."""
import numpy as np
from mmcv.transforms import BaseTransform

from eossl.registry import TRANSFORMS


@TRANSFORMS.register_module()
class DisjointMaskGenerator(BaseTransform):
    """Split the L patches of every crop slot into three disjoint sets that cover all patches.

    Per slot the patches get a random rank (a permutation from the global ``np.random``, so
    mmengine's seeding applies); with ``n_s = round(student_ratio · L)`` and
    ``n_sp = round((1 − teacher_ratio) · L)``:

    - ``student``: rank < n_s — the only patches the student encodes;
    - ``predict``: n_s ≤ rank < n_sp — the student regresses their pixels (global slots only);
    - ``teacher``: rank ≥ n_sp — the only patches the teacher encodes.

    In local slots nobody predicts (as in the official code): ``predict`` is empty and the band
    is hidden from both branches; set ``predict_local=True`` to return it there too.

    ``results[key]`` must hold paired views as written by :class:`AlignedMultiViews`: the
    student views of all slots (globals first), then the teacher views in the same order, each
    (C, H, W) (or their sizes in ``results[key + '_view_shapes']``). Output: ``results[out_key]
    = {'student': [...], 'predict': [...], 'teacher': [...]}``, one sorted int64 array of patch
    indices (row-major over the (H/p) × (W/p) grid) per slot. Carry it to the model with
    ``PackEOInputs(..., algorithm_keys=(out_key,))`` (a DataSample field).

    Args:
        patch_size: patch side p in pixels; view sides must be multiples of it.
        num_global: number of global slots (the first slots).
        student_ratio: fraction of patches the student sees (official PerA: 0.2).
        teacher_ratio: fraction of patches the teacher sees (official PerA: 0.6).
        predict_local: also predict the middle band in local slots.
        key: results key of the paired views.
        out_key: results key the index arrays are written to.
    """

    def __init__(self, patch_size: int = 16, num_global: int = 2, student_ratio: float = 0.2,
                 teacher_ratio: float = 0.6, predict_local: bool = False, key: str = 'img',
                 out_key: str = 'disjoint_masks') -> None:
        if not (0 < student_ratio and 0 < teacher_ratio and student_ratio + teacher_ratio <= 1):
            raise ValueError('DisjointMaskGenerator: need 0 < student_ratio, 0 < teacher_ratio '
                             f'and their sum ≤ 1, got {student_ratio}, {teacher_ratio}')
        self.patch_size, self.num_global = patch_size, num_global
        self.student_ratio, self.teacher_ratio = student_ratio, teacher_ratio
        self.predict_local, self.key, self.out_key = predict_local, key, out_key

    def _slot_shapes(self, results: dict) -> list[tuple[int, int]]:
        """Validated (H, W) per slot of the paired views, or of ``key + '_view_shapes'`` (the
        sizes of views that ``AlignedMultiViews(batch_augment=True)`` leaves uncut)."""
        views = results[self.key]
        shapes = results.get(self.key + '_view_shapes')
        if shapes is None:
            if not isinstance(views, (list, tuple)) or len(views) % 2 or not views:
                raise ValueError(f'DisjointMaskGenerator: results["{self.key}"] must be a list '
                                 'of student views followed by as many teacher views '
                                 '(AlignedMultiViews output)')
            shapes = [v.shape[-2:] for v in views]
        shapes = [tuple(int(v) for v in shape) for shape in shapes]
        slots = len(shapes) // 2
        if shapes[:slots] != shapes[slots:]:
            raise ValueError(f'DisjointMaskGenerator: student view sizes {shapes[:slots]} differ '
                             f'from teacher view sizes {shapes[slots:]}')
        for h, w in shapes[:slots]:
            if h % self.patch_size or w % self.patch_size:
                raise ValueError(f'DisjointMaskGenerator: view {h}x{w} is not divisible by '
                                 f'patch_size {self.patch_size}')
        return shapes[:slots]

    def split(self, num_patches: int, predict: bool) -> dict[str, np.ndarray]:
        """Three sorted index arrays over ``num_patches`` patches (see the class docstring)."""
        rank = np.random.permutation(num_patches)
        n_s = int(round(self.student_ratio * num_patches))
        n_sp = int(round((1 - self.teacher_ratio) * num_patches))
        if n_s == 0 or n_sp == num_patches:
            raise ValueError(f'DisjointMaskGenerator: {num_patches} patches leave the student or '
                             'the teacher with no visible patch; use larger views or ratios')
        band = rank[n_s:n_sp] if predict else rank[:0]
        return dict(student=np.sort(rank[:n_s]), predict=np.sort(band),
                    teacher=np.sort(rank[n_sp:]))

    def transform(self, results: dict) -> dict:
        """Add ``results[out_key]``: ``{'student' | 'predict' | 'teacher': [(K_v,) int64]}``."""
        masks: dict[str, list[np.ndarray]] = dict(student=[], predict=[], teacher=[])
        for slot, (h, w) in enumerate(self._slot_shapes(results)):
            num = (h // self.patch_size) * (w // self.patch_size)
            sets = self.split(num, predict=slot < self.num_global or self.predict_local)
            for name, idx in sets.items():
                masks[name].append(idx.astype(np.int64, copy=False))
        results[self.out_key] = masks
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(patch_size={self.patch_size}, num_global='
                f'{self.num_global}, student_ratio={self.student_ratio}, teacher_ratio='
                f'{self.teacher_ratio}, predict_local={self.predict_local})')
