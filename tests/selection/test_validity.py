import math

import numpy as np
import pandas as pd
from sklearn.datasets import make_blobs, make_moons
from sklearn.metrics import silhouette_score

from segmentkit.selection.candidates import separation_drop_choice
from segmentkit.selection.validity import neighbour_count, nn_separation


def test_separation_sees_shapes_silhouette_does_not() -> None:
    # Two interleaved half-moons: the true split is perfectly separated for near
    # neighbours, while silhouette prefers the K-Means-like cut across both moons.
    X, y = make_moons(400, noise=0.04, random_state=0)
    straight = (X[:, 0] > 0.5).astype(int)
    assert nn_separation(X, y) > 2 * nn_separation(X, straight)
    assert silhouette_score(X, straight) > silhouette_score(X, y)


def test_separation_is_infinite_for_disjoint_groups_and_none_when_undefined() -> None:
    X = np.r_[np.zeros((40, 2)), np.full((40, 2), 50.0)] + np.arange(80)[:, None] * 1e-3
    labels = np.repeat([0, 1], 40)
    assert nn_separation(X, labels) == math.inf
    assert nn_separation(X, np.zeros(80, dtype=int)) is None  # one segment
    tiny = labels.copy()
    tiny[:2] = 2  # a segment of two customers cannot be judged with 5 neighbours
    assert nn_separation(X, tiny) is None
    # Noise is left out.
    assert nn_separation(X, np.where(np.arange(80) < 3, -1, labels)) == math.inf


def test_separation_sample_is_seeded() -> None:
    X, y = make_blobs(3_000, centers=4, random_state=1)
    first = nn_separation(X, y, sample_size=1_000, seed=3)
    assert first == nn_separation(X, y, sample_size=1_000, seed=3)
    assert first is not None and first > 0


def test_neighbour_count() -> None:
    assert [neighbour_count(n) for n in (40, 200, 500, 100_000)] == [5, 10, 25, 25]


def test_separation_drop_picks_the_k_before_the_fall() -> None:
    table = pd.DataFrame({"k": [2, 3, 4, 5, 6], "nn_separation": [0.4, 0.5, 0.45, 0.05, 0.04]})
    choice = separation_drop_choice(table)
    assert choice is not None and table["k"][choice.index] == 4
    assert "k = 4" in choice.summary


def test_separation_drop_walks_past_perfectly_separated_splits() -> None:
    # Splits that stay perfectly separated lose nothing: the answer is the last of them.
    table = pd.DataFrame({"k": [2, 3, 4, 5], "nn_separation": [math.inf, math.inf, math.inf, 0.1]})
    choice = separation_drop_choice(table)
    assert choice is not None and table["k"][choice.index] == 4
    # When every candidate is perfectly separated the top is chosen (the range widens).
    table = pd.DataFrame({"k": [2, 3, 4], "nn_separation": [math.inf] * 3})
    choice = separation_drop_choice(table)
    assert choice is not None and table["k"][choice.index] == 3


def test_separation_drop_none_when_nothing_is_measurable() -> None:
    table = pd.DataFrame({"k": [2, 3], "nn_separation": [None, None]})
    assert separation_drop_choice(table) is None
