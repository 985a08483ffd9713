"""kNN probe on hand-made features: neighbours, DINO weights, leave-one-out, metrics."""
import math

import pytest
import torch

from eossl.evaluation import knn_metrics, knn_scores, label_matrix

# unit vectors: a = 0°, b at cos = 0.6, c = 90°, d = 180°; classes 0, 1, 1, 0
TRAIN = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [-1.0, 0.0]])
LABELS = label_matrix([[0], [1], [1], [0]], 2)
QUERY = torch.tensor([[8.0, 6.0]])  # direction (0.8, 0.6): cosines 0.8, 0.96, 0.6, -0.8


def test_weighted_vote_uses_exp_cosine_over_temperature():
    scores = knn_scores(TRAIN, LABELS, QUERY, k=3, temperature=0.1)
    b, a, c = math.exp(9.6), math.exp(8.0), math.exp(6.0)  # the 3 nearest: b, a, c
    expected = torch.tensor([[a / (a + b + c), (b + c) / (a + b + c)]])
    torch.testing.assert_close(scores, expected)


def test_uniform_vote_and_k_capped_at_the_training_set():
    torch.testing.assert_close(knn_scores(TRAIN, LABELS, QUERY, k=3, temperature=None),
                               torch.tensor([[1 / 3, 2 / 3]]))
    torch.testing.assert_close(knn_scores(TRAIN, LABELS, QUERY, k=1, temperature=None),
                               torch.tensor([[0.0, 1.0]]))
    torch.testing.assert_close(knn_scores(TRAIN, LABELS, QUERY, k=99, temperature=None),
                               torch.tensor([[0.5, 0.5]]))


def test_multi_label_scores_average_the_neighbour_labels():
    labels = label_matrix([[0, 1], [1, 2], [2], [0]], 3)
    scores = knn_scores(TRAIN, labels, QUERY, k=2, temperature=None)  # neighbours b, a
    torch.testing.assert_close(scores, torch.tensor([[0.5, 1.0, 0.5]]))


def test_leave_one_out_never_counts_a_sample_as_its_own_neighbour():
    scores = knn_scores(TRAIN, LABELS, TRAIN, k=1, temperature=None, exclude_self=True,
                        chunk=3)  # chunking must keep the diagonal right
    # nearest other sample: a -> b, b -> c, c -> b, d -> c (cos 0 beats -0.6 and -1), all of
    # class 1; counting itself, each sample would get its own label [0, 1, 1, 0]
    assert scores.argmax(dim=1).tolist() == [1, 1, 1, 1]


def test_metrics_accuracy_and_map_over_present_classes():
    scores = torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.8, 0.4]])
    targets = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
    assert knn_metrics(scores, targets, multi_label=False) == {'accuracy': 100.0}
    # class 2 has no positive query: left out (mmpretrain's macro mAP would count it as 0)
    assert knn_metrics(scores, targets, multi_label=True) == {'mAP_present': 100.0,
                                                              'classes_evaluated': 2}
    ranked_wrong = knn_metrics(torch.tensor([[0.1, 0.9], [0.8, 0.2]]),
                               torch.tensor([[1.0, 0], [0, 1.0]]), multi_label=True)
    assert ranked_wrong['mAP_present'] == pytest.approx(50.0)  # each positive ranked second of two


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match=r'label indices \[3\] outside \[0, 2\)'):
        label_matrix([[3]], 2)
    with pytest.raises(ValueError, match='4 training features but 3 label rows'):
        knn_scores(TRAIN, LABELS[:3], QUERY)
    with pytest.raises(ValueError, match='exclude_self needs the queries'):
        knn_scores(TRAIN, LABELS, QUERY, exclude_self=True)
