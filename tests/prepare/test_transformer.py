"""Tests for segmentkit.prepare.transformer: from a messy customer table to the model matrix."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from segmentkit.config import Config
from segmentkit.errors import ConfigError, DataError
from segmentkit.prepare.transformer import iqr_outliers, prepare
from segmentkit.scoring.model import TRUSTED_TYPES


def cfg(overrides: dict[str, Any] | None = None) -> Config:
    return Config().with_overrides(overrides or {})


def step_rules(prepared: Any) -> list[tuple[str, str | None]]:
    return [(s.rule, s.column) for s in prepared.steps]


def assert_rows_accounted(prepared: Any) -> None:
    counts = prepared.row_counts
    assert counts["read"] == counts["kept"] + sum(counts["dropped"].values())
    assert len(prepared.dropped) == sum(counts["dropped"].values())
    assert len(prepared.X) == counts["kept"] == len(prepared.kept_rows)


def evenly_spread(n: int = 20) -> pd.DataFrame:
    """Customers 1..n with spend 10, 11, ... (no outliers) and a 4-level region."""
    return pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1),
            "spend": np.arange(10.0, 10.0 + n),
            "region": (["north", "south", "east", "west"] * n)[:n],
        }
    )


# --------------------------------------------------------------------------- headers, basics


def test_headers_trimmed() -> None:
    frame = evenly_spread().rename(
        columns={"customer_id": " customer_id", "spend": "spend ", "region": "\tregion "}
    )
    prepared = prepare(frame, cfg())
    assert list(prepared.cleaned.columns) == ["customer_id", "spend", "region"]
    assert prepared.features == ["spend", "region"]
    assert prepared.id_column == "customer_id"
    assert ("headers", None) in step_rules(prepared)
    headers = next(s for s in prepared.steps if s.rule == "headers")
    assert headers.detail == "trimmed whitespace in 3 header(s)"


def test_headers_trimmed_config_uses_clean_names() -> None:
    frame = evenly_spread().rename(columns={"spend": " spend "})
    prepared = prepare(frame, cfg({"input.features": ["spend"]}))
    assert prepared.features == ["spend"]


def test_duplicate_headers_after_trimming() -> None:
    frame = pd.DataFrame({"spend": [1.0, 2.0], "spend ": [3.0, 4.0]})
    with pytest.raises(DataError, match="duplicate column name"):
        prepare(frame, cfg())


def test_result_contract() -> None:
    frame = evenly_spread()
    prepared = prepare(frame, cfg())
    assert prepared.numeric_features == ["spend"]
    assert prepared.categorical_features == ["region"]
    assert prepared.ids.name == "customer_id"
    assert prepared.ids.tolist() == list(range(1, 21))
    pd.testing.assert_frame_equal(prepared.raw, frame)
    np.testing.assert_allclose(
        prepared.preprocessor.transform(prepared.cleaned[prepared.features]), prepared.X
    )
    assert prepared.X.shape == (20, 5)
    assert_rows_accounted(prepared)


def test_row_numbers_without_id() -> None:
    frame = evenly_spread().drop(columns="customer_id")
    prepared = prepare(frame, cfg())
    assert prepared.id_column == "row"
    assert prepared.ids.name == "row"
    assert prepared.ids.tolist() == list(range(1, 21))


# --------------------------------------------------------------------------- duplicate ids


def duplicated_ids() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 2, 3, 3, 3, 4, 5, 6, 7],
            "spend": [10.0, 20, 21, 30, 31, 32, 40, 50, 60, 70],
        }
    )


@pytest.mark.parametrize(
    ("policy", "kept_rows", "dropped_rows"),
    [
        ("keep_first", [0, 1, 3, 6, 7, 8, 9], [3, 5, 6]),
        ("keep_last", [0, 2, 5, 6, 7, 8, 9], [2, 4, 5]),
        ("drop_all", [0, 6, 7, 8, 9], [2, 3, 4, 5, 6]),
    ],
)
def test_duplicate_id_policies(policy: str, kept_rows: list[int], dropped_rows: list[int]) -> None:
    config = cfg({"input.id_column": "customer_id", "cleaning.duplicate_ids": policy})
    prepared = prepare(duplicated_ids(), config)
    assert prepared.kept_rows.tolist() == kept_rows
    assert prepared.row_counts["dropped"] == {"duplicate_id": len(dropped_rows)}
    assert prepared.dropped["row"].tolist() == dropped_rows  # 1-based
    assert prepared.dropped["reason"].unique().tolist() == ["duplicate_id"]
    expected_spend = duplicated_ids()["spend"].iloc[kept_rows].tolist()
    assert prepared.cleaned["spend"].tolist() == expected_spend
    assert prepared.ids.is_unique
    assert_rows_accounted(prepared)


def test_duplicate_ids_error() -> None:
    config = cfg({"input.id_column": "customer_id", "cleaning.duplicate_ids": "error"})
    with pytest.raises(DataError, match=r"2 customer id\(s\) in 'customer_id' appear more"):
        prepare(duplicated_ids(), config)


def test_duplicate_inferred_id_is_still_an_id() -> None:
    # One repeated customer in an id-like integer column: the column is still the id
    # (never a segmentation feature) and the default policy keep_first applies.
    frame = pd.DataFrame(
        {
            "CustomerID": [*range(1, 31), 7],
            "spend": np.linspace(10, 40, 31),
            "region": ["a", "b", "c"] * 10 + ["a"],
        }
    )
    prepared = prepare(frame, cfg())
    assert prepared.roles["CustomerID"].role == "id"
    assert "CustomerID" not in prepared.features
    assert prepared.row_counts["dropped"] == {"duplicate_id": 1}
    assert prepared.kept_rows.tolist() == list(range(30))


def test_inferred_id_with_a_missing_value_is_still_an_id() -> None:
    frame = pd.DataFrame(
        {
            "CustomerID": [*range(1, 30), np.nan],
            "spend": np.linspace(10, 40, 30),
            "region": ["a", "b", "c"] * 10,
        }
    )
    prepared = prepare(frame, cfg())
    assert prepared.roles["CustomerID"].role == "id"
    assert "CustomerID" not in prepared.features
    assert prepared.row_counts["dropped"] == {"missing_id": 1}


def test_zero_padded_text_ids_are_kept_as_read() -> None:
    # Issue 16: 0001 came out as 1 in segments.csv (via the numeric-text conversion).
    frame = evenly_spread(20)
    frame["customer_id"] = [f"{i:04d}" for i in range(1, 21)]
    frame.loc[3, "customer_id"] = frame.loc[2, "customer_id"]  # a duplicate, dropped
    prepared = prepare(frame, cfg())
    assert prepared.roles["customer_id"].role == "id"
    assert prepared.ids.tolist() == [f"{i:04d}" for i in range(1, 21) if i != 4]
    assert prepared.dropped["customer_id"].tolist() == ["0003"]
    assert ("numeric_text", "customer_id") not in step_rules(prepared)
    # Other columns of digits as text are still numbers.
    frame["visits"] = [f"{i % 7:02d}" for i in range(20)]
    assert "visits" in prepare(frame, cfg()).numeric_features


def test_missing_id_dropped() -> None:
    frame = evenly_spread(10).astype({"customer_id": float})
    frame.loc[4, "customer_id"] = np.nan
    prepared = prepare(frame, cfg({"input.id_column": "customer_id"}))
    assert prepared.row_counts["dropped"] == {"missing_id": 1}
    assert prepared.dropped["row"].tolist() == [5]
    assert 4 not in prepared.kept_rows
    assert_rows_accounted(prepared)


# --------------------------------------------------------------------------- missing values


def test_median_imputation_value_used() -> None:
    # A second feature keeps the row whose spend is missing (it is not empty).
    frame = pd.DataFrame(
        {"spend": [10.5, 20.5, np.nan, 40.5, 100.5], "region": ["a", "b", "a", "b", "a"]}
    )
    prepared = prepare(frame, cfg({"cleaning.outliers.policy": "keep"}))
    assert prepared.model_feature_names[0] == "spend"
    # Median of 10.5, 20.5, 40.5, 100.5 is 30.5; after imputation the column is
    # 10.5, 20.5, 30.5, 40.5, 100.5 with mean 40.5 and population std sqrt(1000).
    assert prepared.X[2, 0] == pytest.approx((30.5 - 40.5) / np.sqrt(1000))
    np.testing.assert_allclose(
        prepared.X[:, 0], (np.array([10.5, 20.5, 30.5, 40.5, 100.5]) - 40.5) / np.sqrt(1000)
    )
    # The cleaned table stays in original units, without the imputed value.
    assert np.isnan(prepared.cleaned["spend"].iloc[2])
    missing = next(s for s in prepared.steps if s.rule == "missing")
    assert (missing.column, missing.rows) == ("spend", 1)


def test_median_imputation_ignores_flagged_outliers() -> None:
    # Fit rows 10..80 have median 45; with the outlier 1000 it would be 50.
    values = [10.0, 20, 30, 40, 50, 60, 70, 80, np.nan, 1000]
    frame = pd.DataFrame({"spend": values, "region": ["a", "b"] * 5})
    prepared = prepare(frame, cfg({"cleaning.log_transform.mode": "never"}))
    assert prepared.is_outlier.tolist() == [False] * 9 + [True]
    scaler = prepared.preprocessor.named_transformers_["num_median"].named_steps["scale"]
    imputed = prepared.X[8, 0] * scaler.scale_[0] + scaler.mean_[0]
    assert imputed == pytest.approx(45.0)


def test_constant_fill_value() -> None:
    frame = pd.DataFrame(
        {"spend": [10.5, 20.5, np.nan, 40.5, 100.5], "region": ["a", "b", "a", "b", "a"]}
    )
    config = cfg(
        {
            "cleaning.outliers.policy": "keep",
            "cleaning.missing.numeric": "constant",
            "cleaning.missing.fill_value": 5,
        }
    )
    prepared = prepare(frame, config)
    column = np.array([10.5, 20.5, 5, 40.5, 100.5])
    np.testing.assert_allclose(prepared.X[:, 0], (column - column.mean()) / column.std())


def test_a_text_fill_value_fills_categories_and_numbers_only_if_it_reads_as_one() -> None:
    frame = pd.DataFrame(
        {"spend": [10.5, 20.5, np.nan, 40.5, 100.5], "region": ["a", None, "a", "b", "a"]}
    )
    settings = {
        "cleaning.outliers.policy": "keep",
        "cleaning.missing.numeric": "constant",
        "cleaning.missing.categorical": "constant",
    }
    prepared = prepare(frame, cfg({**settings, "cleaning.missing.fill_value": "5"}))
    column = np.array([10.5, 20.5, 5, 40.5, 100.5])
    np.testing.assert_allclose(prepared.X[:, 0], (column - column.mean()) / column.std())
    assert "region_5" in prepared.model_feature_names  # the same value fills the category
    # Text that is not a number cannot fill numbers: one clear error, not sklearn's.
    for text in ("unknown", "nan"):
        with pytest.raises(ConfigError) as error:
            prepare(frame, cfg({**settings, "cleaning.missing.fill_value": text}))
        assert str(error.value).startswith(
            f"cleaning.missing.fill_value: {text!r} is not a finite number, but the "
            "'constant' strategy fills numeric column(s) 'spend' with it"
        )
    # Numbers filled another way leave the text to the categories.
    categories_only = {**settings, "cleaning.missing.numeric": "median"}
    prepared = prepare(frame, cfg({**categories_only, "cleaning.missing.fill_value": "unknown"}))
    assert "region_unknown" in prepared.model_feature_names


@pytest.mark.parametrize(("n_missing", "dropped"), [(5, False), (6, True)])
def test_mostly_missing_column_dropped(n_missing: int, dropped: bool) -> None:
    frame = evenly_spread(10)
    frame["income"] = [np.nan] * n_missing + [float(i) for i in range(10 - n_missing)]
    prepared = prepare(frame, cfg())
    assert ("income" in prepared.features) is not dropped
    if dropped:
        assert prepared.roles["income"].role == "constant"
        assert prepared.roles["income"].reason == "60% of values missing"
        assert ("dropped_column", "income") in step_rules(prepared)
    assert prepared.row_counts["kept"] == 10


def test_per_column_drop() -> None:
    frame = evenly_spread(10)
    frame["age"] = [30.0, 40, 50, np.nan, 35, 45, 55, np.nan, 25, 60]
    frame["income"] = [1.0, 2, 3, 4, 5, np.nan, 7, 8, 9, 10]
    prepared = prepare(frame, cfg({"cleaning.missing.per_column": {"age": "drop"}}))
    assert prepared.row_counts["dropped"] == {"missing:age": 2}
    assert prepared.dropped["row"].tolist() == [4, 8]
    assert prepared.dropped["customer_id"].tolist() == [4, 8]
    assert prepared.kept_rows.tolist() == [0, 1, 2, 4, 5, 6, 8, 9]
    # income is imputed (median), not dropped.
    assert prepared.cleaned["income"].isna().sum() == 1
    assert_rows_accounted(prepared)


def test_rows_without_any_feature_dropped() -> None:
    frame = evenly_spread(10)
    frame.loc[[2, 6], ["spend", "region"]] = np.nan
    prepared = prepare(frame, cfg())
    assert prepared.row_counts["dropped"] == {"no_feature_values": 2}
    assert prepared.dropped["row"].tolist() == [3, 7]
    assert_rows_accounted(prepared)


def test_every_dropped_row_counted() -> None:
    n = 30
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(1.0, n + 1),
            "spend": np.arange(100.0, 100.0 + n),
            "age": np.tile([25.0, 35.0, 45.0, 55.0, 65.0, 30.0], 5),
        }
    )
    frame.loc[1, "customer_id"] = np.nan  # missing id
    frame.loc[5, "customer_id"] = 5.0  # repeats row 4's id
    frame.loc[8, "age"] = np.nan  # dropped by the per-column strategy
    frame.loc[12, "spend"] = 10_000.0  # an outlier
    config = cfg(
        {
            "input.id_column": "customer_id",
            "cleaning.missing.per_column": {"age": "drop"},
            "cleaning.outliers.policy": "drop",
            "cleaning.log_transform.mode": "never",
        }
    )
    prepared = prepare(frame, config)
    assert prepared.row_counts["dropped"] == {
        "duplicate_id": 1,
        "missing:age": 1,
        "missing_id": 1,
        "outlier": 1,
    }
    assert prepared.row_counts["read"] == 30
    assert prepared.row_counts["kept"] == 26
    assert sorted(prepared.dropped["row"].tolist()) == [2, 6, 9, 13]
    assert sorted(set(range(30)) - set(prepared.kept_rows.tolist())) == [1, 5, 8, 12]
    assert_rows_accounted(prepared)


# --------------------------------------------------------------------------- iqr_outliers


def test_iqr_outliers_hand_example() -> None:
    # Q1 = 3, Q3 = 7, IQR = 4: fences 3 - 6 = -3 and 7 + 6 = 13.
    frame = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6, 7, 8, 100]})
    mask, bounds, used = iqr_outliers(frame, factor=1.5, max_share=0.5)
    assert mask.tolist() == [False] * 8 + [True]
    assert bounds == {"x": (-3.0, 13.0)}
    assert used == 1.5


def test_iqr_outliers_fence_is_exclusive() -> None:
    # 13 is exactly on the upper fence: not an outlier; 13.5 is.
    frame = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6, 7, 8, 13]})
    mask, bounds, _ = iqr_outliers(frame, factor=1.5, max_share=0.5)
    assert bounds == {"x": (-3.0, 13.0)}
    assert not mask.any()
    frame.loc[8, "x"] = 13.5
    assert iqr_outliers(frame, factor=1.5, max_share=0.5)[0].tolist() == [False] * 8 + [True]


def test_iqr_outliers_any_column_missing_and_constant() -> None:
    frame = pd.DataFrame(
        {
            "x": [1.0, 2, 3, 4, 5, 6, 7, 8, 100],
            "y": [-50.0, 2, 3, 4, np.nan, 6, 7, 8, 9],
            "same": [1.0] * 8 + [50.0],  # IQR 0: skipped
        }
    )
    mask, bounds, _ = iqr_outliers(frame, factor=1.5, max_share=0.5)
    assert mask.tolist() == [True] + [False] * 7 + [True]
    assert set(bounds) == {"x", "y"}
    # y without the missing value: -50, 2, 3, 4, 6, 7, 8, 9 -> Q1 = 2.75, Q3 = 7.25.
    assert bounds["y"] == pytest.approx((2.75 - 1.5 * 4.5, 7.25 + 1.5 * 4.5))


def test_iqr_outliers_widened() -> None:
    # Q1 = 3.25, Q3 = 7.75, IQR = 4.5; at factor 1.5 both 100 and 200 (20%) are out.
    # Distances in IQR units: 100 -> 92.25 / 4.5 = 20.5, 200 -> 192.25 / 4.5 = 42.72.
    # max_share 0.1 allows 1 of 10 rows, so the factor widens just enough to clear 100:
    # 20.5, the second largest distance (fences are exclusive).
    frame = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6, 7, 8, 100, 200]})
    mask, bounds, used = iqr_outliers(frame, factor=1.5, max_share=0.1)
    assert mask.tolist() == [False] * 9 + [True]
    assert used == pytest.approx(20.5)
    assert bounds["x"] == pytest.approx((3.25 - 92.25, 7.75 + 92.25))
    mask, _, used = iqr_outliers(frame, factor=1.5, max_share=0.2)
    assert mask.sum() == 2
    assert used == 1.5


def test_iqr_outliers_widened_share_at_most_max_share() -> None:
    # 15 rows, 2 far out (13%): with max_share 0.1 at most 1 row (10%) may stay flagged.
    frame = pd.DataFrame({"x": [float(v) for v in range(1, 14)] + [100.0, 200.0]})
    mask, _, used = iqr_outliers(frame, factor=1.5, max_share=0.1)
    assert used > 1.5
    assert mask.mean() <= 0.1
    assert mask.tolist() == [False] * 14 + [True]


def test_iqr_outliers_input_not_modified() -> None:
    frame = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6, 7, 8, 100], "y": [np.nan] + [1.0] * 8})
    before = frame.copy()
    iqr_outliers(frame, factor=1.5, max_share=0.1)
    pd.testing.assert_frame_equal(frame, before)


# --------------------------------------------------------------------------- outlier policies


def with_outlier() -> pd.DataFrame:
    # spend 10..29 with row 5 (15) replaced by 500.
    frame = evenly_spread(20)
    frame.loc[5, "spend"] = 500.0
    return frame


def policy_config(policy: str) -> Config:
    return cfg({"cleaning.outliers.policy": policy, "cleaning.log_transform.mode": "never"})


def test_outlier_policy_flag() -> None:
    prepared = prepare(with_outlier(), policy_config("flag"))
    assert prepared.row_counts["kept"] == 20
    assert prepared.row_counts["dropped"] == {}
    assert prepared.is_outlier.tolist() == [i == 5 for i in range(20)]
    assert prepared.fit_mask.tolist() == [i != 5 for i in range(20)]
    assert prepared.row_counts["outliers"] == 1
    assert prepared.row_counts["fit"] == 19
    # The default neighbour rule has no per-feature fences.
    assert prepared.outlier_bounds == {}
    assert prepared.outlier_rule is not None
    # Scaling is learned from the 19 fit rows only.
    spend = prepared.X[:, prepared.model_feature_names.index("spend")]
    assert spend[prepared.fit_mask].mean() == pytest.approx(0.0, abs=1e-12)
    assert spend[prepared.fit_mask].std() == pytest.approx(1.0)
    fit_values = np.delete(np.arange(10.0, 30.0), 5)
    assert spend[5] == pytest.approx((500 - fit_values.mean()) / fit_values.std())
    assert prepared.X_fit.shape == (19, prepared.X.shape[1])


def test_outlier_policy_flag_iqr_fences() -> None:
    config = cfg(
        {
            "cleaning.outliers.method": "iqr",
            "cleaning.outliers.policy": "flag",
            "cleaning.log_transform.mode": "never",
        }
    )
    prepared = prepare(with_outlier(), config)
    assert prepared.is_outlier.tolist() == [i == 5 for i in range(20)]
    assert prepared.outlier_rule is None
    # Sorted spend: 10..14, 16..29, 500 -> Q1 = 15.5, Q3 = 25.25, IQR = 9.75.
    assert prepared.outlier_bounds["spend"] == pytest.approx((15.5 - 14.625, 25.25 + 14.625))


def test_outlier_policy_drop() -> None:
    prepared = prepare(with_outlier(), policy_config("drop"))
    assert prepared.row_counts["kept"] == 19
    assert prepared.row_counts["dropped"] == {"outlier": 1}
    assert prepared.dropped["row"].tolist() == [6]
    assert prepared.dropped["customer_id"].tolist() == [6]
    assert 5 not in prepared.kept_rows
    assert not prepared.is_outlier.any()
    assert prepared.fit_mask.all()
    assert prepared.row_counts["outliers"] == 1
    assert_rows_accounted(prepared)


def test_outlier_policy_keep() -> None:
    prepared = prepare(with_outlier(), policy_config("keep"))
    assert prepared.row_counts["kept"] == 20
    assert prepared.fit_mask.all()
    assert prepared.row_counts["fit"] == 20
    assert prepared.is_outlier.tolist() == [i == 5 for i in range(20)]
    spend = prepared.X[:, prepared.model_feature_names.index("spend")]
    assert spend.mean() == pytest.approx(0.0, abs=1e-12)


# --------------------------------------------------------------------------- log transform


def skewed_frame(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(42)
    return pd.DataFrame(
        {
            "money": rng.lognormal(3.0, 1.2, n).round(2),
            "sym": rng.normal(50.0, 5.0, n).round(2),
        }
    )


def test_log_transform_auto() -> None:
    frame = skewed_frame()
    assert frame["money"].skew() > 2
    assert abs(frame["sym"].skew()) < 0.5
    config = cfg({"cleaning.outliers.policy": "keep"})
    prepared = prepare(frame, config)
    assert prepared.log_columns == ["money"]
    logged = np.log1p(frame["money"].to_numpy())
    column = prepared.X[:, prepared.model_feature_names.index("money")]
    np.testing.assert_allclose(column, (logged - logged.mean()) / logged.std())
    sym = frame["sym"].to_numpy()
    column = prepared.X[:, prepared.model_feature_names.index("sym")]
    np.testing.assert_allclose(column, (sym - sym.mean()) / sym.std())
    assert ("log_transform", None) in step_rules(prepared)


def test_log_transform_bounds_in_original_units() -> None:
    frame = skewed_frame()
    prepared = prepare(frame, cfg({"cleaning.outliers.method": "iqr"}))
    logged = np.log1p(frame["money"])
    q1, q3 = logged.quantile(0.25), logged.quantile(0.75)
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    assert prepared.outlier_bounds["money"] == pytest.approx((np.expm1(low), np.expm1(high)))


def test_log_transform_auto_threshold() -> None:
    frame = skewed_frame()
    skew = float(frame["money"].skew())
    above = cfg({"cleaning.log_transform.skew_threshold": skew + 0.1})
    assert prepare(frame, above).log_columns == []
    below = cfg({"cleaning.log_transform.skew_threshold": skew - 0.1})
    assert prepare(frame, below).log_columns == ["money"]


def test_log_transform_never_always_columns() -> None:
    frame = skewed_frame()
    assert prepare(frame, cfg({"cleaning.log_transform.mode": "never"})).log_columns == []
    always = prepare(frame, cfg({"cleaning.log_transform.mode": "always"}))
    assert always.log_columns == ["money", "sym"]
    explicit = cfg({"cleaning.log_transform.columns": ["sym"]})
    assert prepare(frame, explicit).log_columns == ["sym"]


def test_log_transform_skips_negative_and_few_values() -> None:
    frame = skewed_frame()
    frame["debt"] = -frame["money"]  # skewed but negative
    frame["coupons"] = np.tile([0.0, 0, 0, 0, 0, 0, 1, 1, 2, 50], 30)  # 4 distinct values
    prepared = prepare(frame, cfg({"cleaning.log_transform.mode": "always"}))
    assert prepared.log_columns == ["money", "sym"]


def test_log_transform_explicit_negative_column() -> None:
    frame = skewed_frame()
    frame["sym"] -= 60
    with pytest.raises(DataError, match="negative values"):
        prepare(frame, cfg({"cleaning.log_transform.columns": ["sym"]}))


# --------------------------------------------------------------------------- one-hot names


def test_one_hot_names_and_origin() -> None:
    frame = pd.DataFrame(
        {
            "spend": np.arange(10.0, 22.0),
            "region": [
                *["north", " North", "NORTH", "north"],
                *["south", "South ", "south"],
                *["east", "EAST", "east", "east", "north"],
            ],
            "tier": [1, 2, 3] * 4,
        }
    )
    # Plain 0/1 columns, so the counts below read as counts.
    prepared = prepare(frame, cfg({"cleaning.categorical_weight": "unit"}))
    assert prepared.categorical_features == ["region", "tier"]
    assert prepared.model_feature_names == [
        "spend",
        "region_east",
        "region_north",
        "region_south",
        "tier_1",
        "tier_2",
        "tier_3",
    ]
    assert prepared.feature_origin == {
        "spend": "spend",
        "region_east": "region",
        "region_north": "region",
        "region_south": "region",
        "tier_1": "tier",
        "tier_2": "tier",
        "tier_3": "tier",
    }
    region = prepared.X[:, 1:4]
    np.testing.assert_array_equal(region.sum(axis=1), np.ones(12))
    # " North" and "NORTH" are the same region as "north".
    np.testing.assert_array_equal(region[:4, 1], np.ones(4))
    assert region[:, 0].sum() == 4
    assert region[:, 1].sum() == 5
    assert region[:, 2].sum() == 3


# --------------------------------------------------------------------------- category weights


def two_categories() -> pd.DataFrame:
    """A numeric column, a 4-level region and a 2-level plan (no outliers)."""
    return pd.DataFrame(
        {
            "spend": np.arange(10.0, 30.0),
            "region": ["north", "south", "east", "west"] * 5,
            "plan": ["basic", "plus"] * 10,
        }
    )


def category_block(prepared: Any, column: str) -> np.ndarray:
    rows = [i for i, n in enumerate(prepared.model_feature_names) if n.startswith(column + "_")]
    return prepared.X[:, rows]


def test_categorical_weight_sqrt_levels_is_the_default() -> None:
    prepared = prepare(two_categories(), cfg())
    region, plan = category_block(prepared, "region"), category_block(prepared, "plan")
    # Each level column is 0 or 1/sqrt(levels): 1/2 for 4 regions, 1/sqrt(2) for 2 plans.
    assert sorted(set(region.ravel().tolist())) == [0.0, 0.5]
    assert sorted(set(plan.ravel().tolist())) == pytest.approx([0.0, 2**-0.5])
    # Two customers in different regions are sqrt(2/4) = 0.71 apart, in different plans
    # sqrt(2/2) = 1: never more than one standard deviation of a numeric feature.
    assert np.linalg.norm(region[0] - region[1]) == pytest.approx(np.sqrt(0.5))
    assert np.linalg.norm(plan[0] - plan[1]) == pytest.approx(1.0)
    # The numeric column is untouched: standardised.
    spend = prepared.X[:, prepared.model_feature_names.index("spend")]
    assert spend.std() == pytest.approx(1.0)


@pytest.mark.parametrize(("setting", "value"), [("unit", 1.0), (0.25, 0.25), (3, 3.0)])
def test_categorical_weight_unit_and_number(setting: Any, value: float) -> None:
    prepared = prepare(two_categories(), cfg({"cleaning.categorical_weight": setting}))
    for column in ("region", "plan"):
        block = category_block(prepared, column)
        assert sorted(set(block.ravel().tolist())) == [0.0, value]
        np.testing.assert_allclose(block.sum(axis=1), value)


def test_categorical_weight_counts_levels_of_the_fit_rows() -> None:
    # "vip" appears only in the flagged outlier's row: the encoder learns 2 levels from
    # the rows that shape the segments, so the weight is 1/sqrt(2), and the outlier's
    # unseen level is all zeros.
    frame = pd.DataFrame(
        {
            "spend": [*np.arange(10.0, 29.0), 5000.0],
            "plan": ["basic", "plus"] * 9 + ["basic", "vip"],
        }
    )
    prepared = prepare(frame, cfg({"cleaning.log_transform.mode": "never"}))
    assert prepared.is_outlier.tolist() == [False] * 19 + [True]
    plan = category_block(prepared, "plan")
    assert plan.shape[1] == 2
    assert sorted(set(plan[:19].ravel().tolist())) == pytest.approx([0.0, 2**-0.5])
    assert plan[19].tolist() == [0.0, 0.0]


def test_categorical_weight_saved_with_the_model() -> None:
    prepared = prepare(two_categories(), cfg())
    data = sio.dumps(prepared.preprocessor)
    assert set(sio.get_untrusted_types(data=data)) <= set(TRUSTED_TYPES)
    loaded = sio.loads(data, trusted=list(TRUSTED_TYPES))
    new = pd.DataFrame({"spend": [15.0], "region": ["east"], "plan": ["plus"]})
    np.testing.assert_allclose(
        loaded.transform(new), prepared.preprocessor.transform(new), rtol=0, atol=0
    )
    assert loaded.transform(new)[0, 1:].tolist() == pytest.approx([0.5, 0, 0, 0, 0, 2**-0.5])


def test_one_hot_name_clash_with_a_column() -> None:
    # "region" = "north" one-hot encodes to "region_north", which is also a column name.
    frame = pd.DataFrame({"region_north": np.arange(10.0) * 1.5, "region": ["north", "south"] * 5})
    try:
        prepared = prepare(frame, cfg())
    except DataError:
        return  # refusing with a message a user can act on is acceptable; a crash is not
    names = prepared.model_feature_names
    assert len(set(names)) == len(names) == prepared.X.shape[1] == 3
    assert sorted(prepared.feature_origin.values()) == ["region", "region", "region_north"]


# --------------------------------------------------------------------------- data errors


def test_infinite_values() -> None:
    frame = evenly_spread(10)
    frame.loc[3, "spend"] = np.inf
    with pytest.raises(DataError, match=r"column 'spend' has 1 infinite value\(s\)"):
        prepare(frame, cfg())


def test_no_usable_numeric_column() -> None:
    frame = evenly_spread(10).drop(columns="spend")
    with pytest.raises(DataError, match="no usable numeric column"):
        prepare(frame, cfg())


def test_no_usable_feature_column() -> None:
    frame = pd.DataFrame({"customer_id": np.arange(1, 11), "country": ["NL"] * 10})
    with pytest.raises(DataError, match="no usable feature column"):
        prepare(frame, cfg())


def test_no_rows() -> None:
    with pytest.raises(DataError, match="no data rows"):
        prepare(evenly_spread(10).iloc[:0], cfg())


def test_config_names_missing_columns() -> None:
    config = cfg(
        {
            "input.features": ["spend", "nope"],
            "input.exclude": ["gone"],
            "cleaning.missing.per_column": {"ghost": "drop"},
        }
    )
    with pytest.raises(DataError) as caught:
        prepare(evenly_spread(10), config)
    message = caught.value.message
    assert "input.features (--features) names 'nope'" in message
    assert "input.exclude (--exclude) names 'gone'" in message
    assert "cleaning.missing.per_column names 'ghost'" in message
    assert "'spend'" not in message
    assert caught.value.hint == "available columns: 'customer_id', 'spend', 'region'"


def test_config_names_missing_id_column() -> None:
    with pytest.raises(DataError, match=r"input.id_column \(--id-column\) names 'cust'"):
        prepare(evenly_spread(10), cfg({"input.id_column": "cust"}))


# --------------------------------------------------------------------------- inputs untouched


def test_input_not_modified() -> None:
    frame = pd.DataFrame(
        {
            " customer_id": [1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
            "spend ": [
                *["$1,200", "$300", "$310", "$50", "$7", None],
                *["$8", "$9", "$10", "$11", "$12", "$9,999"],
            ],
            "sex": [" male", "MALE", "Male", "female", "", "female"] * 2,
            "joined": ["2024-01-31", "2024-02-01", None] * 4,
            "visits": [1.0, 2, 3, 4, 5, 6, 7, np.nan, 9, 10, 11, 12],
        }
    )
    before = frame.copy()
    config = cfg({"input.id_column": "customer_id", "cleaning.outliers.policy": "drop"})
    prepared = prepare(frame, config)
    pd.testing.assert_frame_equal(frame, before)
    # ``raw`` holds the kept rows exactly as read.
    pd.testing.assert_frame_equal(
        prepared.raw, before.iloc[prepared.kept_rows].reset_index(drop=True)
    )


def test_a_text_id_is_not_logged_as_converted(caplog: pytest.LogCaptureFixture) -> None:
    # The id's digits are parsed only to judge its role; the log said "numbers stored as
    # text converted to numbers" for CustomerID although segments.csv keeps "0001".
    frame = pd.DataFrame(
        {
            "CustomerID": [f"{i:04d}" for i in range(1, 41)],
            "spend": [f"${100 + 7 * i:,}" for i in range(40)],
            "visits": [float(i % 9) for i in range(40)],
        }
    )
    with caplog.at_level("INFO", logger="segmentkit"):
        prepared = prepare(frame, Config())
    converted = [r.getMessage() for r in caplog.records if "stored as text" in r.getMessage()]
    assert converted == ["Column 'spend': numbers stored as text converted to numbers"]
    assert prepared.ids.tolist()[:2] == ["0001", "0002"]
    assert [s.column for s in prepared.steps if s.rule == "numeric_text"] == ["spend"]


def test_a_column_both_chosen_and_excluded_is_excluded_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.integers(18, 80, 60), "spend": rng.gamma(2, 50, 60)})
    with caplog.at_level("WARNING", logger="segmentkit.prepare"):
        prepared = prepare(
            frame, cfg({"input.features": ["age", "spend"], "input.exclude": ["age"]})
        )
    assert prepared.features == ["spend"]
    assert "both in --features and --exclude, so excluded: 'age'" in caplog.text


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"cleaning": {"outliers": {"policy": "drop"}}},
        {"cleaning": {"outliers": {"policy": "keep"}}},
        {"cleaning": {"outliers": {"method": "iqr"}}},
        {"cleaning": {"missing": {"categorical": "constant"}}},
    ],
)
def test_the_model_matrix_is_the_saved_transformer_applied_to_every_row(
    overrides: dict[str, Any],
) -> None:
    # prepare keeps the fits' own outputs instead of transforming the rows again: the
    # matrix must still be exactly what the saved model computes for the same customers.
    from segmentkit.datasets import make_customers

    frame = make_customers(600, n_segments=3, seed=4).frame
    far = frame.iloc[:6].copy()
    far["customer_id"] = [f"F{i}" for i in range(6)]
    far["annual_income"] = far["annual_income"] * 40  # outliers to flag, drop or keep
    frame = pd.concat([frame, far], ignore_index=True)
    frame.loc[frame.index % 17 == 0, "region"] = np.nan
    prepared = prepare(frame, cfg(overrides))
    again = prepared.preprocessor.transform(prepared.cleaned[prepared.features])
    np.testing.assert_array_equal(prepared.X, again)


def test_a_name_clash_keeps_the_weighted_matrix_and_prefixes_the_names() -> None:
    frame = pd.DataFrame(
        {
            "region_north": np.arange(12.0) * 1.5,
            "region": ["north", "south", "east"] * 4,
            "spend": np.arange(12.0) ** 1.5,
        }
    )
    prepared = prepare(frame, cfg())
    again = prepared.preprocessor.transform(prepared.cleaned[prepared.features])
    np.testing.assert_array_equal(prepared.X, again)
    names = prepared.model_feature_names
    assert len(set(names)) == len(names) == prepared.X.shape[1]
    # Three levels: each one-hot column weighted 1 / sqrt(3).
    one_hot = prepared.X[:, [prepared.feature_origin[n] == "region" for n in names]]
    assert set(np.round(np.unique(one_hot), 6)) <= {0.0, round(1 / np.sqrt(3), 6)}
