"""The final fit cuts the tree the k search grew on the same rows, with the same result."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from segmentkit.config import Config
from segmentkit.methods import METHODS, SearchContext, agglomerative, dbscan, genie
from segmentkit.selection.tree_memo import TreeMemo, rows_digest


def _context(**overrides: object) -> SearchContext:
    config = Config().with_overrides(overrides)
    return SearchContext(seed=0, n_jobs=None, clustering=config.clustering)


def _blobs(n: int = 400) -> np.ndarray:
    X, _ = make_blobs(n_samples=n, centers=4, n_features=3, cluster_std=0.7, random_state=3)
    return X


def test_digest_follows_values_not_identity() -> None:
    X = _blobs()
    assert rows_digest(X) == rows_digest(X.copy())
    assert rows_digest(X) == rows_digest(np.asfortranarray(X))
    changed = X.copy()
    changed[7, 1] += 1e-12
    assert rows_digest(X) != rows_digest(changed)
    assert rows_digest(X) != rows_digest(X[:-1])


def test_memo_grows_once_per_rows_and_settings() -> None:
    memo: TreeMemo[int] = TreeMemo()
    calls: list[int] = []

    def grow() -> int:
        calls.append(1)
        return len(calls)

    X = _blobs()
    assert [memo.get(X, ("a",), grow), memo.get(X.copy(), ("a",), grow)] == [1, 1]
    assert memo.get(X, ("b",), grow) == 2
    assert memo.get(X[:-1], ("b",), grow) == 3
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("method", "module", "grower"),
    [
        ("agglomerative", agglomerative, "exact_linkage"),
        ("agglomerative", agglomerative, "weighted_linkage"),
        ("genie", genie, "_genie"),
        ("dbscan", dbscan, "DBSCAN"),
    ],
)
def test_fit_reuses_the_search_tree_with_the_same_labels(
    method: str, module: object, grower: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    X = _blobs(600)
    # weighted_linkage grows from micro-clusters: above max_rows (100, its floor).
    overrides = {"clustering.agglomerative.max_rows": 100} if grower == "weighted_linkage" else {}
    spec = METHODS[method]
    # The fit's labels when it grows its own tree (a fresh run's memo), then the search's.
    search = spec.search(X, _context(**overrides))
    expected = spec.fit(X.copy(), search.params, _context(**overrides))[0]
    context = _context(**overrides)
    search = spec.search(X, context)
    original = getattr(module, grower)
    grown: list[int] = []

    def counting(*args: object, **kwargs: object) -> object:
        grown.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, grower, counting)
    labels = spec.fit(X.copy(), search.params, context)[0]
    assert grown == []
    np.testing.assert_array_equal(labels, expected)
    assert len(np.unique(labels[labels >= 0])) == 4
    # Other rows grow their own tree.
    spec.fit(X[:-50], search.params, context)
    assert grown == [1]


def test_a_new_run_keeps_no_tree_of_the_last() -> None:
    X = _blobs()
    first, second = _context(), _context()
    METHODS["agglomerative"].search(X, first)
    assert first.shared.trees("agglomerative") is not second.shared.trees("agglomerative")
