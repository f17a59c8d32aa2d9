import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

from segmentkit.selection.stability import MIN_RESAMPLES, bootstrap_stability, settled


def _kmeans(k: int):
    def fit(X: np.ndarray) -> np.ndarray:
        return KMeans(n_clusters=k, n_init=3, random_state=0).fit_predict(X)

    return fit


def _stability(X: np.ndarray, k: int, **settings: object):
    model = KMeans(n_clusters=k, n_init=3, random_state=0).fit(X)
    return bootstrap_stability(
        X,
        model.predict,
        _kmeans(k),
        **{"n_resamples": 10, "seed": 0, "max_rows": 5_000, "jaccard_threshold": 0.6, **settings},
    )


def test_a_clear_segmentation_settles_after_the_fewest_resamples() -> None:
    X, _ = make_blobs(600, centers=[[0, 0], [20, 0], [0, 20]], cluster_std=1.0, random_state=0)
    full = _stability(X, 3)
    early = _stability(X, 3, tolerance=0.02, ari_thresholds=(0.6, 0.8))
    assert full.n_resamples == 10
    assert early.n_resamples == MIN_RESAMPLES
    # Every resample agrees completely, so the numbers are the full run's.
    assert early.mean_ari == full.mean_ari == 1.0
    assert early.segment_jaccard == full.segment_jaccard
    assert early.unstable_segments == full.unstable_segments == ()


def test_a_shaky_segmentation_draws_every_resample() -> None:
    # One round cloud cut in four: the cuts move from resample to resample.
    X = np.random.default_rng(0).normal(size=(600, 2))
    early = _stability(X, 4, tolerance=0.02, ari_thresholds=(0.6, 0.8))
    full = _stability(X, 4)
    assert early.n_resamples == 10
    assert early == full


def test_early_numbers_are_those_of_the_first_resamples() -> None:
    # Settling only stops the sequence: the first resamples are the same draws.
    X, _ = make_blobs(600, centers=[[0, 0], [6, 0], [0, 6]], cluster_std=1.3, random_state=1)
    early = _stability(X, 3, tolerance=0.05, ari_thresholds=())
    assert MIN_RESAMPLES <= early.n_resamples < 10
    truncated = _stability(X, 3, n_resamples=early.n_resamples)
    assert early == truncated


@pytest.mark.parametrize(
    ("values", "thresholds", "expected"),
    [
        ([0.97, 0.98, 0.99, 0.98], (0.6, 0.8), True),
        ([0.97, 0.98, 0.99], (0.6, 0.8), False),  # fewer than MIN_RESAMPLES
        ([0.5, 0.9, 0.7, 0.8], (0.6, 0.8), False),  # too wide
        ([0.805, 0.8, 0.81, 0.8], (0.6, 0.8), False),  # narrow, but a threshold inside
        ([0.805, 0.8, 0.81, 0.8], (), True),
        ([0.2, 0.21, 0.2, 0.2], (0.6,), True),  # clearly unstable settles too
    ],
)
def test_settled(values: list[float], thresholds: tuple[float, ...], expected: bool) -> None:
    assert settled(values, 0.02, thresholds) is expected
    assert settled(values, 0.0, thresholds) is False  # 0 turns early stopping off
