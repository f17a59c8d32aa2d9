import numpy as np
from sklearn.datasets import make_blobs

from segmentkit.config import Config
from segmentkit.methods import METHODS, SearchContext, run_method
from segmentkit.selection.alternative import finer_alternative


def _context(**overrides: object) -> SearchContext:
    config = Config().with_overrides({"clustering.stability.n_resamples": 4, **overrides})
    return SearchContext(seed=0, n_jobs=None, clustering=config.clustering)


def test_two_segments_get_the_most_stable_finer_alternative() -> None:
    # Two far groups, each made of three clear sub-groups: k = 2 is right at the top
    # level, and 6 is the finer structure worth showing.
    centres = [[0, 0], [0, 4], [4, 0], [40, 40], [40, 44], [44, 40]]
    X, _ = make_blobs(900, centers=centres, cluster_std=0.5, random_state=0)
    context = _context(**{"clustering.k": 2})
    recommended = run_method(METHODS["kmeans"], X, context)
    assert recommended.n_segments == 2
    # A k fixed by the user is respected: no alternative.
    assert finer_alternative(recommended, X, np.ones(len(X), bool), context) is None
    alternative = finer_alternative(recommended, X, np.ones(len(X), bool), _context())
    assert alternative is not None
    assert alternative.result.n_segments == 6
    assert alternative.tried[6] == max(alternative.tried.values()) > 0.95
    assert sorted(alternative.tried) == [3, 4, 5, 6, 7, 8]
    assert "kmeans with 6 segments" in alternative.summary()


def test_no_alternative_beyond_two_segments_or_without_stability() -> None:
    X, _ = make_blobs(300, centers=3, random_state=2)
    three = run_method(METHODS["kmeans"], X, _context(**{"clustering.k": 3}))
    assert finer_alternative(three, X, np.ones(len(X), bool), _context()) is None
    two = run_method(METHODS["kmeans"], X, _context(**{"clustering.k": 2}))
    off = _context(**{"clustering.stability.n_resamples": 0})
    assert finer_alternative(two, X, np.ones(len(X), bool), off) is None


def test_dbscan_recommendation_gets_a_kmeans_alternative() -> None:
    centres = [[0, 0], [0, 5], [40, 40], [40, 45]]
    X, _ = make_blobs(400, centers=centres, cluster_std=0.4, random_state=1)
    dbscan = run_method(METHODS["dbscan"], X, _context(**{"clustering.dbscan.eps": 8.0}))
    assert dbscan.n_segments == 2
    alternative = finer_alternative(dbscan, X, np.ones(len(X), bool), _context())
    assert alternative is not None and alternative.method == "kmeans"
    assert alternative.result.n_segments == 4
