"""The model's imputers: scikit-learn's SimpleImputer, bit for bit, with faster fits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer

from segmentkit.prepare.imputer import FrequentImputer, MedianImputer


def random_columns(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(1, 80)), int(rng.integers(1, 5))
    X = rng.normal(size=(n, d)) * 10.0 ** int(rng.integers(-3, 6))
    if seed % 2:
        X = np.round(X, int(rng.integers(0, 3)))  # ties, as in amounts and ages
    X[rng.random((n, d)) < rng.random() * 0.6] = np.nan
    return X


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values")
@pytest.mark.parametrize("keep_empty_features", [False, True])
def test_the_same_statistics_and_output_as_scikit_learns(keep_empty_features: bool) -> None:
    for seed in range(300):
        X = random_columns(seed)
        ours = MedianImputer(strategy="median", keep_empty_features=keep_empty_features).fit(X)
        theirs = SimpleImputer(strategy="median", keep_empty_features=keep_empty_features).fit(X)
        # Bit for bit (NaN where a column has no value), not approximately.
        np.testing.assert_array_equal(ours.statistics_, theirs.statistics_)
        np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))


def test_other_strategies_and_markers_are_scikit_learns() -> None:
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0, 3.0], "b": [-1.0, 2.0, -1.0, 7.0]})
    for strategy in ("mean", "most_frequent"):
        ours = MedianImputer(strategy=strategy).fit(frame)
        np.testing.assert_array_equal(
            ours.statistics_, SimpleImputer(strategy=strategy).fit(frame).statistics_
        )
    complete = frame.fillna(5.0)
    marked = MedianImputer(strategy="median", missing_values=-1.0).fit(complete)
    np.testing.assert_array_equal(
        marked.statistics_,
        SimpleImputer(strategy="median", missing_values=-1.0).fit(complete).statistics_,
    )
    assert list(marked.get_feature_names_out()) == ["a", "b"]


def random_categories(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(1, 60)), int(rng.integers(1, 4))
    levels = np.array(["north", "south", "East", "west", "1", "b"], dtype=object)
    X = rng.choice(levels[: int(rng.integers(1, 7))], size=(n, d)).astype(object)
    X[rng.random((n, d)) < rng.random() * 0.5] = np.nan
    return X


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values")
@pytest.mark.parametrize("keep_empty_features", [False, True])
def test_the_most_frequent_text_is_scikit_learns(keep_empty_features: bool) -> None:
    # Small columns with few levels: ties are common, and go to the smallest value.
    for seed in range(300):
        X = random_categories(seed)
        ours = FrequentImputer(strategy="most_frequent", keep_empty_features=keep_empty_features)
        theirs = SimpleImputer(strategy="most_frequent", keep_empty_features=keep_empty_features)
        ours.fit(X)
        theirs.fit(X)
        assert list(ours.statistics_) == list(theirs.statistics_) or (
            pd.isna(ours.statistics_).tolist() == pd.isna(theirs.statistics_).tolist()
            and [v for v in ours.statistics_ if not pd.isna(v)]
            == [v for v in theirs.statistics_ if not pd.isna(v)]
        )
        np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))


def test_values_pandas_counts_as_missing_take_scikit_learns_path() -> None:
    # scikit-learn counts None as a value when the marker is NaN; pandas would not.
    X = np.array([[None], [None], ["a"], [np.nan]], dtype=object)
    ours = FrequentImputer(strategy="most_frequent").fit(X)
    assert (
        ours.statistics_.tolist()
        == SimpleImputer(strategy="most_frequent").fit(X).statistics_.tolist()
    )
    assert ours.statistics_.tolist() == [None]


def test_a_mix_of_types_ties_as_in_scikit_learn() -> None:
    X = np.array([[1], ["1"], [2.5], ["x"]], dtype=object)
    ours = FrequentImputer(strategy="most_frequent").fit(X)
    assert (
        ours.statistics_.tolist()
        == SimpleImputer(strategy="most_frequent").fit(X).statistics_.tolist()
    )
