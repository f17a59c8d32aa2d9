"""The one-hot encoder of categorical columns: scikit-learn's OneHotEncoder, bit for bit, faster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import OneHotEncoder

from segmentkit.prepare.encoder import CategoryEncoder

SETTINGS = {"handle_unknown": "ignore", "sparse_output": False, "dtype": np.float64}


def pair(train: np.ndarray, **settings: object) -> tuple[CategoryEncoder, OneHotEncoder]:
    options = {**SETTINGS, **settings}
    return CategoryEncoder(**options).fit(train), OneHotEncoder(**options).fit(train)  # type: ignore[arg-type]


def test_random_columns_with_unknown_and_missing_values_encode_the_same() -> None:
    rng = np.random.default_rng(0)
    levels = np.array(["north", "south", "East", "1", "", "b b"], dtype=object)
    for _ in range(200):
        train = rng.choice(levels[: int(rng.integers(1, 5))], size=(int(rng.integers(1, 50)), 1))
        new = rng.choice(np.append(levels, "unseen"), size=(int(rng.integers(1, 50)), 1))
        new = new.astype(object)
        new[rng.random(len(new)) < 0.2] = np.nan
        ours, theirs = pair(train.astype(object))
        out = ours.transform(new)
        np.testing.assert_array_equal(out, theirs.transform(new))
        assert out.dtype == np.float64 and out.flags.c_contiguous


def test_missing_and_unknown_values_are_rows_of_zeros() -> None:
    ours, theirs = pair(np.array([["1"], ["a"]], dtype=object))
    new = np.array([["1"], [None], [np.nan], ["A"], ["a "], ["a"]], dtype=object)
    np.testing.assert_array_equal(ours.transform(new), theirs.transform(new))
    assert ours.transform(new).sum(axis=1).tolist() == [1, 0, 0, 0, 0, 1]


def test_numbers_among_the_text_are_scikit_learns() -> None:
    ours, theirs = pair(np.array([[1], [2]], dtype=object))
    new = np.array([[1.0], [True], [2]], dtype=object)
    np.testing.assert_array_equal(ours.transform(new), theirs.transform(new))
    ours, theirs = pair(np.array([["1"], ["a"]], dtype=object))
    mixed = np.array([[1], ["a"], [2.5]], dtype=object)
    np.testing.assert_array_equal(ours.transform(mixed), theirs.transform(mixed))


def test_no_rows_is_refused_as_scikit_learn_refuses_it() -> None:
    ours, _ = pair(np.array([["a"]], dtype=object))
    with pytest.raises(ValueError, match="0 sample"):
        ours.transform(np.empty((0, 1), dtype=object))


@pytest.mark.parametrize(
    "settings",
    [{"sparse_output": True}, {"drop": "first"}, {"min_frequency": 2}, {"handle_unknown": "error"}],
)
def test_other_settings_are_scikit_learns(settings: dict[str, object]) -> None:
    train = np.array([["a"], ["b"], ["b"], ["c"]], dtype=object)
    ours, theirs = pair(train, **settings)
    out, expected = ours.transform(train), theirs.transform(train)
    if hasattr(out, "toarray"):
        out, expected = out.toarray(), expected.toarray()
    np.testing.assert_array_equal(out, expected)


def test_frames_and_several_columns_are_scikit_learns() -> None:
    frame = pd.DataFrame({"region": ["n", "s", "n"], "channel": ["web", "web", "store"]})
    ours, theirs = pair(frame)  # type: ignore[arg-type]
    np.testing.assert_array_equal(ours.transform(frame), theirs.transform(frame))
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
