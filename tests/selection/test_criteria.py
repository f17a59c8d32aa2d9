"""Tests for selection.criteria: stratified silhouette samples and the internal criteria."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from segmentkit.selection import criteria as evaluation
from segmentkit.selection.criteria import cluster_metrics, silhouette, stratified_sample

# --------------------------------------------------------------------------- stratified_sample


def uneven_labels() -> np.ndarray:
    return np.repeat([0, 1, 2, 3], [900, 90, 9, 1])


def test_stratified_sample_proportions() -> None:
    labels = uneven_labels()
    sample = stratified_sample(labels, 100, seed=0)
    counts = np.bincount(labels[sample], minlength=4).tolist()
    # floor(900/10) = 90, floor(90/10) = 9; the 9-row label gets 2 (not 0), the 1-row label 1.
    assert counts == [90, 9, 2, 1]
    assert len(np.unique(sample)) == len(sample)
    assert np.all(np.diff(sample) > 0)


def test_stratified_sample_at_least_two_per_label() -> None:
    labels = np.repeat([0, 1, 2], [5000, 3, 2])
    sample = stratified_sample(labels, 50, seed=3)
    # floor(5000 * 50 / 5005) = 49; the small labels get 2 each instead of 0.
    assert np.bincount(labels[sample]).tolist() == [49, 2, 2]


def test_stratified_sample_deterministic() -> None:
    labels = uneven_labels()
    first = stratified_sample(labels, 100, seed=7)
    np.testing.assert_array_equal(first, stratified_sample(labels, 100, seed=7))
    assert not np.array_equal(first, stratified_sample(labels, 100, seed=8))


def test_stratified_sample_everything_when_small() -> None:
    labels = np.array([1, 0, 1, 0, 2])
    np.testing.assert_array_equal(stratified_sample(labels, 5, seed=0), np.arange(5))
    np.testing.assert_array_equal(stratified_sample(labels, 50, seed=0), np.arange(5))


def test_stratified_sample_input_not_modified() -> None:
    labels = uneven_labels()
    before = labels.copy()
    stratified_sample(labels, 100, seed=0)
    np.testing.assert_array_equal(labels, before)


# --------------------------------------------------------------------------- cluster_metrics


def two_blobs(n: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 0.5, (n, 2)), rng.normal(10, 0.5, (n, 2))])
    return X, np.repeat([0, 1], n)


def test_cluster_metrics_separated_blobs() -> None:
    X, labels = two_blobs()
    metrics = cluster_metrics(X, labels)
    assert metrics.silhouette is not None
    assert metrics.silhouette > 0.9
    assert metrics.davies_bouldin is not None
    assert metrics.davies_bouldin < 0.15
    assert metrics.calinski_harabasz == pytest.approx(calinski_harabasz_score(X, labels))
    assert metrics.silhouette == pytest.approx(silhouette_score(X, labels))
    assert metrics.silhouette_sample == 200
    assert metrics.n_segments == 2
    assert metrics.noise_share == 0.0
    assert metrics.reason is None


def test_cluster_metrics_hand_example() -> None:
    # Row 0: a = 0.1, b = (5.0 + 5.1) / 2 = 5.05, s = (5.05 - 0.1) / 5.05.
    X = np.array([[0.0], [0.1], [5.0], [5.1]])
    metrics = cluster_metrics(X, np.array([0, 0, 1, 1]))
    s0 = (5.05 - 0.1) / 5.05
    s1 = (4.95 - 0.1) / 4.95
    assert metrics.silhouette == pytest.approx((s0 + s1) / 2)


def test_cluster_metrics_one_cluster() -> None:
    X, _ = two_blobs(10)
    metrics = cluster_metrics(X, np.zeros(20, dtype=int))
    assert (metrics.silhouette, metrics.calinski_harabasz, metrics.davies_bouldin) == (
        None,
        None,
        None,
    )
    assert metrics.reason == "only one segment"
    assert metrics.n_segments == 1
    assert metrics.silhouette_sample == 0


def test_cluster_metrics_all_noise() -> None:
    X, _ = two_blobs(10)
    metrics = cluster_metrics(X, np.full(20, -1))
    assert metrics.silhouette is None
    assert metrics.reason == "all rows are noise"
    assert metrics.noise_share == 1.0
    assert metrics.n_segments == 0


def test_cluster_metrics_every_row_its_own_segment() -> None:
    X = np.array([[0.0], [1.0], [2.0]])
    metrics = cluster_metrics(X, np.array([0, 1, 2]))
    assert metrics.silhouette is None
    assert metrics.reason == "every row is its own segment"


def test_cluster_metrics_noise_excluded() -> None:
    X, labels = two_blobs()
    noise = np.array([[5.0, 5.0]] * 8 + [[-20.0, 30.0]] * 2)
    X_all = np.vstack([X, noise])
    labels_all = np.concatenate([labels, np.full(10, -1)])
    metrics = cluster_metrics(X_all, labels_all)
    assert metrics.noise_share == pytest.approx(10 / 210)
    assert metrics.n_segments == 2
    assert metrics.silhouette_sample == 200
    assert metrics.silhouette == pytest.approx(silhouette_score(X, labels))
    assert metrics.calinski_harabasz == pytest.approx(calinski_harabasz_score(X, labels))
    assert metrics.davies_bouldin == pytest.approx(davies_bouldin_score(X, labels))


def exact_silhouette_1d(x: np.ndarray, labels: np.ndarray) -> float:
    """Full silhouette of 1-D data in O(n log n): mean |x - y| from sorted prefix sums."""
    groups = np.unique(labels)
    # mean_distance[g][i]: mean distance from x[i] to the points of group g.
    sums = np.empty((len(groups), len(x)))
    sizes = np.empty(len(groups))
    for row, g in enumerate(groups):
        members = np.sort(x[labels == g])
        prefix = np.concatenate([[0.0], np.cumsum(members)])
        below = np.searchsorted(members, x, side="right")
        total = prefix[-1]
        sums[row] = x * below - prefix[below] + (total - prefix[below]) - x * (len(members) - below)
        sizes[row] = len(members)
    own = np.searchsorted(groups, labels)
    index = np.arange(len(x))
    a = sums[own, index] / (sizes[own] - 1)
    means = sums / sizes[:, None]
    means[own, index] = np.inf
    b = means.min(axis=0)
    return float(np.mean((b - a) / np.maximum(a, b)))


def overlapping_1d(n_per: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(n_per)), n_per)
    x = labels * 2.5 + rng.normal(size=len(labels))
    return x, labels


def test_exact_silhouette_helper_matches_sklearn() -> None:
    x, labels = overlapping_1d((300, 200, 100), seed=1)
    assert exact_silhouette_1d(x, labels) == pytest.approx(
        silhouette_score(x[:, None], labels), abs=1e-12
    )


def test_cluster_metrics_sampled_silhouette_close_to_full() -> None:
    x, labels = overlapping_1d((10_000, 6_000, 4_000), seed=2)
    full = exact_silhouette_1d(x, labels)
    metrics = cluster_metrics(x[:, None], labels, sample_size=5000, seed=0)
    assert metrics.silhouette_sample == 5000
    assert metrics.silhouette is not None
    assert abs(metrics.silhouette - full) < 0.02
    # Calinski–Harabasz and Davies–Bouldin are always computed on every row.
    assert metrics.calinski_harabasz == pytest.approx(calinski_harabasz_score(x[:, None], labels))


def test_cluster_metrics_input_not_modified() -> None:
    X, labels = two_blobs()
    labels[:3] = -1
    X_before, labels_before = X.copy(), labels.copy()
    cluster_metrics(X, labels, sample_size=100, seed=0)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(labels, labels_before)


@pytest.mark.parametrize("seed", range(6))
def test_silhouette_equals_scikit_learn(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(5, 400)), int(rng.integers(2, 7))
    labels = rng.integers(0, k, n) * 3 - 1  # any label values, not 0..k-1
    X = rng.normal(size=(n, int(rng.integers(1, 9)))) + labels[:, None] * rng.uniform(0, 1)
    X[: n // 10] = X[0]  # duplicated rows
    labels[-1] = 99  # a singleton segment
    if len(np.unique(labels)) >= n:
        labels[0] = labels[1]
    monkeypatch.setattr(evaluation, "_BLOCK_CELLS", int(rng.integers(1, 5000)))  # many blocks
    assert silhouette(X, labels) == pytest.approx(silhouette_score(X, labels), abs=1e-12)


def test_silhouette_of_identical_rows_is_zero_like_scikit_learn() -> None:
    X = np.zeros((6, 2))
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert silhouette(X, labels) == silhouette_score(X, labels) == 0.0
