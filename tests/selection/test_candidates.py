"""Tests for selection.candidates (elbow, consensus rank) and the k helpers in methods."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentkit.config import ClusteringConfig
from segmentkit.errors import DataError
from segmentkit.methods import candidate_ks, size_order
from segmentkit.methods.base import SegmentAssigner
from segmentkit.selection.candidates import choose_candidate, elbow_knee

# --------------------------------------------------------------------------- elbow_knee


def test_elbow_knee_clear_elbow() -> None:
    ks = [2, 3, 4, 5, 6, 7, 8]
    assert elbow_knee(ks, [1000.0, 300.0, 100.0, 90.0, 82.0, 76.0, 72.0]) == 4


def test_elbow_knee_docstring_curve() -> None:
    assert elbow_knee([2, 3, 4, 5, 6, 7], [100.0, 40.0, 15.0, 12.0, 10.5, 9.5]) == 4


def test_elbow_knee_shifted_curve() -> None:
    # Same shape, one k later: the knee moves with it.
    assert elbow_knee([2, 3, 4, 5, 6, 7, 8], [1000.0, 990, 300, 100, 90, 82, 76]) == 5


def test_elbow_knee_none() -> None:
    assert elbow_knee([2, 3], [10.0, 5.0]) is None
    assert elbow_knee([2, 3, 4, 5], [4.0, 3.0, 2.0, 1.0]) is None  # a straight line


# --------------------------------------------------------------------------- choose_candidate


def test_choose_candidate_consensus() -> None:
    table = pd.DataFrame(
        {
            "k": [2, 3, 4],
            "silhouette": [0.5, 0.7, 0.6],
            "calinski_harabasz": [100.0, 200.0, 150.0],
            "davies_bouldin": [0.9, 0.5, 0.7],
        }
    )
    choice = choose_candidate(table)
    assert choice.index == 1
    np.testing.assert_array_equal(choice.mean_rank, [3.0, 1.0, 2.0])
    assert choice.agree
    assert choice.favourites == {
        "silhouette": "3",
        "Calinski–Harabasz": "3",
        "Davies–Bouldin": "3",
    }
    assert choice.summary.startswith("k = 3: every criterion agrees")


def test_choose_candidate_disagreement() -> None:
    table = pd.DataFrame(
        {
            "k": [2, 3, 4],
            "silhouette": [0.8, 0.7, 0.6],
            "calinski_harabasz": [100.0, 300.0, 200.0],
            "davies_bouldin": [0.6, 0.4, 0.5],
        }
    )
    choice = choose_candidate(table)
    # Ranks: k=2 (1, 3, 3), k=3 (2, 1, 1), k=4 (3, 2, 2).
    np.testing.assert_allclose(choice.mean_rank, [7 / 3, 4 / 3, 7 / 3])
    assert choice.index == 1
    assert not choice.agree
    assert choice.favourites["silhouette"] == "2"
    assert choice.summary == (
        "k = 3 by consensus rank; criteria disagree "
        "(silhouette 2, Calinski–Harabasz 3, Davies–Bouldin 3)"
    )


def test_choose_candidate_tie_goes_to_higher_silhouette() -> None:
    # Mean ranks tie at 1.5; the later candidate has the higher silhouette.
    table = pd.DataFrame({"k": [2, 3], "silhouette": [0.5, 0.6], "calinski_harabasz": [200, 100]})
    choice = choose_candidate(table)
    np.testing.assert_array_equal(choice.mean_rank, [1.5, 1.5])
    assert choice.index == 1
    assert not choice.agree


def test_choose_candidate_full_tie_goes_to_earlier() -> None:
    table = pd.DataFrame({"k": [2, 3, 4], "silhouette": [0.6, 0.6, 0.6]})
    assert choose_candidate(table).index == 0


def test_choose_candidate_missing_criterion_ranks_last() -> None:
    table = pd.DataFrame(
        {"k": [2, 3, 4], "silhouette": [np.nan, 0.4, 0.5], "davies_bouldin": [0.1, 0.8, 0.6]}
    )
    choice = choose_candidate(table)
    # silhouette ranks: 3 (missing), 2, 1; Davies–Bouldin: 1, 3, 2.
    np.testing.assert_array_equal(choice.mean_rank, [2.0, 2.5, 1.5])
    assert choice.index == 2


def test_choose_candidate_elbow_votes() -> None:
    table = pd.DataFrame(
        {
            "k": [2, 3, 4, 5, 6, 7],
            "inertia": [100.0, 40.0, 15.0, 12.0, 10.5, 9.5],
            "silhouette": [0.3, 0.5, 0.6, 0.55, 0.5, 0.45],
        }
    )
    choice = choose_candidate(table, elbow_column="inertia")
    assert choice.favourites == {"silhouette": "4", "elbow": "4"}
    assert choice.index == 2
    assert choice.agree
    # Silhouette ranks 6, 3.5, 1, 2, 3.5, 5; the elbow ranks by distance from k = 4
    # (2, 1, 0, 1, 2, 3): 4.5, 2.5, 1, 2.5, 4.5, 6.
    np.testing.assert_array_equal(choice.mean_rank, [5.25, 3.0, 1.0, 2.25, 4.0, 5.5])


def test_choose_candidate_votes() -> None:
    table = pd.DataFrame(
        {"k": [2, 3, 4], "silhouette": [0.4, 0.5, 0.3], "calinski_harabasz": [900, 100, 200]}
    )
    choice = choose_candidate(table, votes=("silhouette",))
    np.testing.assert_array_equal(choice.mean_rank, [2.0, 1.0, 3.0])
    assert choice.index == 1
    # Calinski–Harabasz does not vote but its favourite is still reported.
    assert choice.favourites == {"silhouette": "3", "Calinski–Harabasz": "2"}
    assert not choice.agree
    assert "criteria disagree" in choice.summary


def test_choose_candidate_other_label() -> None:
    table = pd.DataFrame({"eps": [0.1, 0.2], "silhouette": [0.2, 0.4]})
    choice = choose_candidate(table, label="eps")
    assert choice.index == 1
    assert choice.summary.startswith("eps = 0.2")


def test_choose_candidate_empty_or_unscored() -> None:
    with pytest.raises(ValueError, match="no candidates"):
        choose_candidate(pd.DataFrame({"k": []}))
    # Data that no criterion can score is the user's to fix: a clean DataError.
    with pytest.raises(DataError, match="no criterion could score any candidate"):
        choose_candidate(pd.DataFrame({"k": [2, 3], "silhouette": [np.nan, np.nan]}))


def test_choose_candidate_input_not_modified() -> None:
    table = pd.DataFrame({"k": [2, 3, 4], "silhouette": [0.5, 0.7, 0.6], "inertia": [9, 4, 3]})
    before = table.copy()
    choose_candidate(table, elbow_column="inertia")
    pd.testing.assert_frame_equal(table, before)


# --------------------------------------------------------------------------- size_order


@pytest.mark.parametrize(
    ("labels", "mapping"),
    [
        ([0, 1, 1, 2, 2, 2], [2, 1, 0]),
        ([2, 2, 0, 1, 1, 1, 1], [2, 0, 1]),  # sizes 1, 4, 2
        ([1, 1, 0, 0], [1, 0]),  # tie: label 1 appears first, so it becomes segment 0
        ([-1, -1, -1, 1, 1, 0], [1, 0]),  # noise is not a segment, however large
        ([0, 2, 2], [1, -1, 0]),  # an unused raw label stands for no segment
        ([-1, -1], []),
    ],
)
def test_size_order(labels: list[int], mapping: list[int]) -> None:
    assert size_order(np.array(labels)).tolist() == mapping


def test_size_order_renumbers_largest_first() -> None:
    rng = np.random.default_rng(0)
    raw = rng.choice(4, size=500, p=[0.1, 0.4, 0.2, 0.3])
    segments = size_order(raw)[raw]
    counts = np.bincount(segments)
    assert np.all(np.diff(counts) <= 0)


class _FixedPredictions:
    def __init__(self, labels: list[int]) -> None:
        self.labels = np.array(labels)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.labels


def test_segment_assigner_maps_labels_without_a_segment_to_minus_one() -> None:
    # Fitted on raw labels 0 and 2 only: a prediction of 1 (a cluster left empty) or 3
    # (beyond the fitted ones) has no segment, and used to raise IndexError.
    assigner = SegmentAssigner(
        _FixedPredictions([0, 1, 2, 3, -1, 2]), size_order(np.array([0, 2, 2]))
    )
    assert assigner.predict(np.zeros((6, 1))).tolist() == [1, -1, 0, -1, -1, 0]


# --------------------------------------------------------------------------- candidate_ks


def clustering(**values: object) -> ClusteringConfig:
    return ClusteringConfig.model_validate(values)


def test_candidate_ks_default_range() -> None:
    assert candidate_ks(1000, 1000, clustering()) == list(range(2, 11))
    assert candidate_ks(1000, 1000, clustering(k_min=3, k_max=5)) == [3, 4, 5]


def test_candidate_ks_capped_by_rows() -> None:
    assert candidate_ks(5, 5, clustering()) == [2, 3, 4]
    assert candidate_ks(100, 4, clustering()) == [2, 3]  # only 4 distinct rows


def test_candidate_ks_too_few_rows() -> None:
    with pytest.raises(DataError, match="too few customers"):
        candidate_ks(2, 2, clustering())
    with pytest.raises(DataError, match="k_min = 4"):
        candidate_ks(4, 4, clustering(k_min=4))


def test_candidate_ks_fixed() -> None:
    assert candidate_ks(10, 10, clustering(k=9)) == [9]
    with pytest.raises(DataError, match="asked for 10 segments but only 10 customers"):
        candidate_ks(10, 10, clustering(k=10))
    with pytest.raises(DataError, match="asked for 5 segments"):
        candidate_ks(100, 5, clustering(k=5))


def test_candidate_ks_nothing_to_segment() -> None:
    with pytest.raises(DataError, match="same feature values"):
        candidate_ks(100, 1, clustering())
