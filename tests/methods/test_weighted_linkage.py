"""The weighted tree behind large-data Agglomerative: checked against SciPy's own trees."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import adjusted_rand_score

from segmentkit.datasets import make_customers
from segmentkit.methods.agglomerative import exact_linkage
from segmentkit.methods.weighted_linkage import weighted_linkage


@pytest.mark.parametrize("method", ["ward", "average", "complete", "single"])
def test_unit_weights_give_scipys_tree(method: str) -> None:
    X = np.random.default_rng(1).normal(size=(250, 4))
    ours = weighted_linkage(X, np.ones(len(X)), method)
    scipy_tree = linkage(X, method)
    np.testing.assert_allclose(ours, scipy_tree, rtol=1e-9, atol=1e-9)


def test_weighted_ward_equals_ward_on_the_expanded_customers() -> None:
    # A point of weight w is w identical customers: Ward over the expanded data merges the
    # copies at height 0 first, then grows exactly the weighted tree.
    rng = np.random.default_rng(7)
    points = rng.normal(size=(80, 3))
    weights = rng.integers(1, 6, size=80)
    expanded = np.repeat(points, weights, axis=0)
    ours = weighted_linkage(points, weights, "ward")
    full = linkage(expanded, "ward")
    np.testing.assert_allclose(ours[:, 2], full[full[:, 2] > 1e-9, 2], rtol=1e-9)
    for k in (2, 3, 5, 8):
        cut_ours = np.repeat(fcluster(ours, k, criterion="maxclust"), weights)
        cut_full = fcluster(full, k, criterion="maxclust")
        assert adjusted_rand_score(cut_ours, cut_full) == pytest.approx(1.0)


def test_weights_change_the_ward_tree() -> None:
    # Two light points near a heavy one: Ward merges the light pair first even though
    # one of them is nearer the heavy point, because merging into weight 100 costs more.
    points = np.array([[0.0], [1.0], [1.8]])
    tree = weighted_linkage(points, np.array([100, 1, 1]), "ward")
    assert tree[0, :2].tolist() == [1.0, 2.0]
    unweighted = weighted_linkage(points, np.ones(3), "ward")
    assert unweighted[0, :2].tolist() == [1.0, 2.0] or unweighted[0, 2] < tree[1, 2]


def test_degenerate_inputs() -> None:
    assert weighted_linkage(np.zeros((1, 2)), np.ones(1)).shape == (0, 4)
    tree = weighted_linkage(np.zeros((3, 2)), np.array([1, 2, 3]))
    assert tree[:, 2].tolist() == [0.0, 0.0]
    assert tree[-1, 3] == 3


@pytest.mark.parametrize("method", ["ward", "single", "average", "complete"])
def test_exact_trees_are_scipys(method: str) -> None:
    # Ward and single come from fastcluster's linkage_vector (no n² distance matrix):
    # the same merges as SciPy's, heights equal to rounding, the same segments at any k.
    numbers = make_customers(1_500, n_segments=5, seed=3).frame.select_dtypes("number")
    X = numbers.dropna().to_numpy(dtype=float)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    ours, theirs = exact_linkage(X, method), linkage(X, method)
    np.testing.assert_array_equal(ours[:, [0, 1, 3]], theirs[:, [0, 1, 3]])
    np.testing.assert_allclose(ours[:, 2], theirs[:, 2], rtol=1e-12, atol=1e-12)
    for k in (2, 5, 12):
        assert adjusted_rand_score(
            fcluster(ours, k, "maxclust"), fcluster(theirs, k, "maxclust")
        ) == pytest.approx(1.0)
