"""The numeric median imputer: scikit-learn's SimpleImputer, bit for bit, with a faster median."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer

from segmentkit.prepare.imputer import MedianImputer


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
