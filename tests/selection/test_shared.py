"""The structures a search shares: the same numbers as computing them per candidate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from segmentkit.config import ClusteringConfig
from segmentkit.methods.search import SearchContext, search_sample
from segmentkit.selection.criteria import (
    cluster_metrics,
    seeded_rows,
    silhouette_from_distances,
)
from segmentkit.selection.shared import MAX_DISTANCE_ROWS, SharedStructures
from segmentkit.selection.validity import (
    neighbour_count,
    neighbour_graph,
    nn_separation,
    separation_from_graph,
)


def _data(kind: str, n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "ties":  # integer grid: many equal distances at the M-th neighbour
        return rng.integers(0, 3, size=(n, d)).astype(float)
    if kind == "rounded":
        return np.round(rng.normal(size=(n, d)), 1)
    return rng.normal(size=(n, d)) * 7


@pytest.mark.parametrize("kind", ["ties", "rounded", "continuous"])
@pytest.mark.parametrize("seed", [0, 1])
def test_graph_separation_equals_genieclust_to_the_bit(kind: str, seed: int) -> None:
    rng = np.random.default_rng(seed + 10)
    n, d = int(rng.integers(100, 700)), int(rng.integers(1, 14))
    X = _data(kind, n, d, seed)
    M = neighbour_count(n)
    graph = neighbour_graph(X, M)
    for k in (2, 3, 5, 12):
        labels = rng.integers(0, k, n)
        ordered = np.argsort(np.argsort(X[:, 0], kind="stable")) * k // n
        for candidate in (labels, ordered):
            assert separation_from_graph(*graph, candidate, M) == nn_separation(X, candidate)


def test_graph_separation_undefined_and_infinite_cases() -> None:
    X = np.r_[np.zeros((30, 1)), np.ones((30, 1))] + np.arange(60)[:, None] * 1e-3
    graph = neighbour_graph(X, 5)
    assert separation_from_graph(*graph, np.repeat([0, 1], 30), 5) == math.inf
    assert separation_from_graph(*graph, np.zeros(60, dtype=int), 5) is None
    # A segment of 5 rows cannot be judged with 5 neighbours.
    assert separation_from_graph(*graph, np.r_[np.zeros(55), np.ones(5)], 5) is None


def test_neighbour_graph_breaks_ties_by_position() -> None:
    X = np.array([[0.0], [1.0], [-1.0], [1.0]])
    distances, neighbours = neighbour_graph(X, 2)
    # Row 0 has three rows at distance 1: rows 1 and 2 come first.
    assert sorted(neighbours[0].tolist()) == [1, 2]
    assert distances[0].tolist() == [1.0, 1.0]


def test_silhouette_from_distances_matches_scikit_learn() -> None:
    X = _data("continuous", 300, 4, 3)
    labels = np.random.default_rng(3).integers(0, 4, 300)
    distances = SharedStructures().distances(X)
    assert distances is not None
    assert silhouette_from_distances(distances, labels) == pytest.approx(
        silhouette_score(X, labels), abs=1e-12
    )


def test_cluster_metrics_with_shared_distances_equal_without() -> None:
    X = _data("rounded", 400, 3, 4)
    labels = np.random.default_rng(4).integers(-1, 3, 400)  # noise included
    distances = SharedStructures().distances(X)
    shared = cluster_metrics(X, labels, distances=distances)
    alone = cluster_metrics(X, labels)
    assert shared.silhouette == pytest.approx(alone.silhouette, abs=1e-12)
    assert shared.calinski_harabasz == alone.calinski_harabasz
    assert shared.silhouette_sample == alone.silhouette_sample == 400 - int((labels < 0).sum())


def test_shared_separation_equals_nn_separation_sampled_and_with_noise() -> None:
    X = _data("continuous", 700, 3, 5)
    shared = SharedStructures()
    rng = np.random.default_rng(5)
    for labels in (rng.integers(0, 3, 700), rng.integers(-1, 3, 700)):
        for size in (300, 5_000):  # sampled, and every row
            expected = nn_separation(X, labels, sample_size=size, seed=7)
            assert shared.separation(X, labels, sample_size=size, seed=7) == expected


def test_a_sample_and_the_matrix_it_was_drawn_from_share_one_graph() -> None:
    # A search on the seeded sample, then the judging of every row on a sample of the
    # same size and seed: the same rows, one neighbour graph, the numbers of computing it.
    X = _data("continuous", 600, 3, 4)
    labels = np.repeat([0, 1, 2], 200)
    rows = seeded_rows(len(X), 250, seed=3)
    assert rows is not None
    shared = SharedStructures()
    on_sample = shared.separation(X[rows], labels[rows], sample_size=250, seed=3)
    on_matrix = shared.separation(X, labels, sample_size=250, seed=3)
    assert len(shared._graphs) == 1
    assert on_sample == on_matrix == nn_separation(X, labels, sample_size=250, seed=3)


def test_shared_structures_are_computed_once_per_matrix_content() -> None:
    X = _data("continuous", 200, 2, 6)
    shared = SharedStructures()
    assert shared.distances(X) is shared.distances(X.copy())
    labels = np.repeat([0, 1], 100)
    shared.separation(X, labels, sample_size=5_000, seed=0)
    shared.separation(X.copy(), labels[::-1], sample_size=5_000, seed=0)
    assert len(shared._graphs) == 1
    assert shared.distances(np.zeros((MAX_DISTANCE_ROWS + 1, 1))) is None


@pytest.mark.parametrize(
    ("shared_limit", "own", "size", "key"),
    [
        (5_000, 100_000, 5_000, "clustering.search_max_rows"),
        (5_000, 2_000, 2_000, "clustering.kmeans.max_rows"),
        (100_000, 100_000, None, None),
    ],
)
def test_search_sample_takes_the_smaller_limit(
    shared_limit: int, own: int, size: int | None, key: str | None
) -> None:
    context = SearchContext(
        seed=0, n_jobs=1, clustering=ClusteringConfig(search_max_rows=shared_limit)
    )
    X = np.arange(12_000, dtype=float)[:, None]
    sample, note = search_sample(X, own, context, method="kmeans", setting="max_rows")
    if size is None:
        assert sample is X and note is None
    else:
        assert len(sample) == size and key is not None and note is not None and key in note
        again, _ = search_sample(X, own, context, method="genie", setting="search_max_rows")
        if own >= shared_limit:  # every method on the same rows
            assert np.array_equal(sample, again)
