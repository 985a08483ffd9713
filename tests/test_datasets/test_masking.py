"""DisjointMaskGenerator: disjoint, covering sets with exact counts, seeded by np.random."""
import numpy as np
import pytest

from eossl.datasets.transforms import DisjointMaskGenerator


def paired_views(sizes: list[int], bands: int = 3) -> list[np.ndarray]:
    views = [np.zeros((bands, s, s), np.float32) for s in sizes]
    return views + [v.copy() for v in views]


def test_sets_are_disjoint_covering_with_exact_counts():
    gen = DisjointMaskGenerator(patch_size=8, num_global=2, student_ratio=0.2, teacher_ratio=0.6)
    masks = gen({'img': paired_views([80, 80, 32, 32])})['disjoint_masks']
    for slot, num in enumerate([100, 100, 16, 16]):
        s, p, t = (masks[k][slot] for k in ('student', 'predict', 'teacher'))
        assert len(s) == round(0.2 * num) and len(t) == num - round(0.4 * num)
        assert s.dtype == np.int64 and all(np.all(np.diff(a) > 0) for a in (s, t))
        assert not (set(s) & set(t)) and not (set(s) & set(p)) and not (set(p) & set(t))
        if slot < 2:  # global: the middle band is predicted and the three sets cover all
            assert len(p) == round(0.4 * num) - round(0.2 * num)
            assert sorted(np.concatenate([s, p, t])) == list(range(num))
        else:  # local: nobody predicts; the band is hidden from both branches
            band = round(0.4 * num) - round(0.2 * num)
            assert len(p) == 0 and len(s) + len(t) == num - band


def test_predict_local_and_seeding():
    gen = DisjointMaskGenerator(patch_size=8, num_global=1, predict_local=True)
    np.random.seed(0)
    first = gen({'img': paired_views([32, 16])})['disjoint_masks']
    np.random.seed(0)
    again = gen({'img': paired_views([32, 16])})['disjoint_masks']
    assert len(first['predict'][1]) == 1  # 4 patches: 1 student, 1 predicted, 2 teacher
    assert all(np.array_equal(a, b) for k in first for a, b in zip(first[k], again[k]))


def test_ranks_are_random():
    gen = DisjointMaskGenerator(patch_size=8, num_global=1)
    draws = {tuple(gen({'img': paired_views([40])})['disjoint_masks']['student'][0])
             for _ in range(10)}
    assert len(draws) > 1


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match='sum ≤ 1'):
        DisjointMaskGenerator(student_ratio=0.5, teacher_ratio=0.6)
    gen = DisjointMaskGenerator(patch_size=8)
    with pytest.raises(ValueError, match='not divisible by patch_size'):
        gen({'img': paired_views([36])})
    with pytest.raises(ValueError, match='student view sizes'):
        gen({'img': [np.zeros((3, 16, 16)), np.zeros((3, 32, 32))]})
    with pytest.raises(ValueError, match='list of student views'):
        gen({'img': np.zeros((3, 16, 16))})
    with pytest.raises(ValueError, match='no visible patch'):
        gen({'img': paired_views([8])})
