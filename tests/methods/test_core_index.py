"""The pruned nearest-core-point search gives exactly the brute-force answer."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics.pairwise import euclidean_distances

from segmentkit.methods import core_index
from segmentkit.methods.core_index import MIXED, build_core_index, nearest_core


def brute_force(
    points: np.ndarray, segments: np.ndarray, X: np.ndarray, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    distances = euclidean_distances(X, points)
    nearest = np.argmin(distances, axis=1)  # first of equals
    found = distances[np.arange(len(X)), nearest]
    within = found <= eps
    return np.where(within, segments[nearest], -1), np.where(within, found, np.inf)


def blobs(seed: int, n_points: int, n_rows: int, dims: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(5, dims))
    which = rng.integers(0, 5, n_points)
    points = centres[which] + rng.normal(size=(n_points, dims))
    X = centres[rng.integers(0, 5, n_rows)] + rng.normal(scale=1.3, size=(n_rows, dims))
    return points, which, X


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("dims", [2, 17])
@pytest.mark.parametrize("layout", ["blobs", "one segment", "random segments", "slabs"])
@pytest.mark.parametrize("eps_scale", [0.3, 1.0, 3.0])
def test_equals_brute_force(seed: int, dims: int, layout: str, eps_scale: float) -> None:
    points, segments, X = blobs(seed, 400, 1500, dims)
    rng = np.random.default_rng(seed + 100)
    segments = {
        "blobs": segments,
        "one segment": np.zeros(len(points), dtype=int),
        "random segments": rng.integers(0, 3, len(points)),
        "slabs": np.digitize(points[:, 0], np.quantile(points[:, 0], [0.3, 0.6])),
    }[layout]
    # eps around the typical distance to the nearest point: some noise, some border rows.
    eps = float(np.median(euclidean_distances(X[:200], points).min(axis=1))) * eps_scale
    index = build_core_index(points, segments)
    expected_segment, expected_distance = brute_force(points, segments, X, eps)

    segment, distance = nearest_core(index, X, eps)
    np.testing.assert_array_equal(segment, expected_segment)
    # Labels only: a distance within eps wherever there is a segment, never below the truth.
    assert np.all(np.isfinite(distance) == (segment >= 0))
    assert np.all(distance[segment >= 0] <= eps)
    assert np.all(distance[segment >= 0] >= expected_distance[segment >= 0] - 1e-9)

    segment, distance = nearest_core(index, X, eps, exact_distance=True)
    np.testing.assert_array_equal(segment, expected_segment)
    np.testing.assert_allclose(distance, expected_distance, rtol=1e-9, atol=1e-9)
    if eps_scale == 1.0:  # the case exercises both outcomes
        assert 0.0 < (expected_segment >= 0).mean() < 1.0


def test_ties_go_to_the_first_point_like_brute_force() -> None:
    # Row (0, 0) is at distance 1 from four points of three segments.
    points = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [5.0, 5.0]])
    segments = np.array([2, 1, 0, 1, 3])
    segment, distance = nearest_core(
        build_core_index(points, segments), np.zeros((1, 2)), 1.0, exact_distance=True
    )
    assert segment.tolist() == [2]
    assert distance.tolist() == [1.0]


def test_chunks_do_not_change_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    points, segments, X = blobs(3, 300, 1000, 4)
    index = build_core_index(points, segments)
    whole = nearest_core(index, X, 1.0, exact_distance=True)
    monkeypatch.setattr(core_index, "CHUNK_ROWS", 97)
    chunked = nearest_core(index, X, 1.0, exact_distance=True)
    np.testing.assert_array_equal(chunked[0], whole[0])
    # Only rounding differs: BLAS blocks a product of another shape differently.
    np.testing.assert_allclose(chunked[1], whole[1], rtol=1e-12)


def test_groups_cover_every_point_once_and_know_their_segment() -> None:
    points, segments, _ = blobs(4, 900, 0, 3)
    index = build_core_index(points, segments)
    assert len(index.members) == 30  # about sqrt(900) groups
    assert sorted(np.concatenate(index.members).tolist()) == list(range(900))
    for members, centre, radius, kind in zip(
        index.members, index.centres, index.radii, index.group_segment, strict=True
    ):
        assert np.linalg.norm(points[members] - centre, axis=1).max() == pytest.approx(radius)
        kinds = set(segments[members].tolist())
        assert kind == (kinds.pop() if len(kinds) == 1 else MIXED)


def test_a_single_core_point() -> None:
    index = build_core_index(np.array([[1.0, 1.0]]), np.array([0]))
    segment, distance = nearest_core(
        index, np.array([[1.0, 2.0], [4.0, 5.0]]), 2.0, exact_distance=True
    )
    assert segment.tolist() == [0, -1]
    assert distance.tolist() == [1.0, np.inf]
