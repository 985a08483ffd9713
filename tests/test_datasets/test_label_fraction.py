"""Label fractions: exact per-class counts, multi-label coverage, seeding, the dataset option."""
from collections import Counter

import numpy as np
import pytest

from eossl.datasets import EuroSAT
from eossl.datasets.label_fraction import class_targets, select_label_fraction
from eossl.testing import make_fake_eurosat


def test_class_targets_round_half_up_and_keep_every_present_class():
    counts = np.array([0, 1, 5, 25, 250])
    assert class_targets(counts, 0.1).tolist() == [0, 1, 1, 3, 25]  # 0.5 -> 1, 2.5 -> 3
    assert class_targets(counts, 0.01).tolist() == [0, 1, 1, 1, 3]  # 2.5 -> 3, never 0


def test_single_label_subset_has_exactly_the_target_count_of_each_class():
    labels = [[0]] * 200 + [[1]] * 30 + [[2]] * 4 + [[3]] * 1
    keep = select_label_fraction(labels, 0.1, seed=3)
    counts = Counter(labels[i][0] for i in keep)
    assert counts == {0: 20, 1: 3, 2: 1, 3: 1}
    assert keep == sorted(set(keep))


def test_multi_label_subset_covers_every_class_at_least_its_target():
    rng = np.random.default_rng(0)
    labels = [sorted(set(rng.choice(6, size=rng.integers(1, 4), p=[.4, .3, .15, .1, .04, .01])
                         .tolist())) for _ in range(500)]
    keep = select_label_fraction(labels, 0.1, seed=0)
    counts = np.bincount([c for i in keep for c in labels[i]], minlength=6)
    totals = np.bincount([c for item in labels for c in item], minlength=6)
    assert (counts >= class_targets(totals, 0.1)).all()
    assert 0.1 * 500 <= len(keep) <= 0.2 * 500  # rare-class picks may carry extra samples


def test_same_seed_same_subset_other_seed_other_subset():
    labels = [[i % 5] for i in range(100)]
    first = select_label_fraction(labels, 0.2, seed=1)
    assert first == select_label_fraction(labels, 0.2, seed=1)
    assert first != select_label_fraction(labels, 0.2, seed=2)


def test_unlabelled_items_form_their_own_stratum():
    labels = [[]] * 50 + [[0]] * 10
    keep = select_label_fraction(labels, 0.1, seed=0)
    assert sum(1 for i in keep if i < 50) == 5 and sum(1 for i in keep if i >= 50) == 1


def test_full_fraction_keeps_everything_and_bad_fractions_are_refused():
    assert select_label_fraction([[0], [1], []], 1.0) == [0, 1, 2]
    for bad in (0, -0.1, 1.5):
        with pytest.raises(ValueError, match='label_fraction must be in'):
            select_label_fraction([[0]], bad)


def test_dataset_option_subsets_the_index(tmp_path):
    make_fake_eurosat(tmp_path, samples_per_class=4, size=8,
                      classes=('Forest', 'River', 'SeaLake'))
    full = EuroSAT(tmp_path)
    half = EuroSAT(tmp_path, label_fraction=0.5, label_fraction_seed=7)
    assert len(full) == 12
    per_class = Counter(half.get_data_info(i)['gt_label'][0] for i in range(len(half)))
    assert per_class == {1: 2, 8: 2, 9: 2}  # Forest, River, SeaLake: 2 of 4 each
    again = EuroSAT(tmp_path, label_fraction=0.5, label_fraction_seed=7)
    assert [again.get_data_info(i)['sample_id'] for i in range(len(again))] == \
        [half.get_data_info(i)['sample_id'] for i in range(len(half))]
    with pytest.raises(ValueError, match='EuroSAT: label_fraction must be in'):
        EuroSAT(tmp_path, label_fraction=0.0)
