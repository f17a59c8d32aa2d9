"""Tests for segmentkit.datasets: the bundled wholesale data and make_customers."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

from segmentkit.datasets import (
    SyntheticCustomers,
    load_wholesale,
    make_customers,
    sample_data_path,
)

WHOLESALE_SHA256 = "c3d018c643565b85cee733c4a2ac76dd76e080e857cb23f0ccfcc2e15a6c17ef"

COLUMNS = [
    "customer_id",
    "age",
    "annual_income",
    "spending_score",
    "tenure_months",
    "online_share",
    "orders_per_year",
    "avg_order_value",
    "gender",
    "region",
    "channel",
]
NUMERIC = COLUMNS[1:8]
INT_COLUMNS = ["age", "spending_score", "tenure_months"]
MISSING_COLUMNS = ["annual_income", "online_share", "orders_per_year", "avg_order_value"]
OUTLIER_COLUMNS = ["annual_income", "orders_per_year", "avg_order_value"]
ALL_NAMES = (
    "Young budget shoppers",
    "Affluent loyalists",
    "Thrifty seniors",
    "Digital professionals",
    "Bargain-hunting families",
    "Occasional big spenders",
    "Lapsed one-timers",
    "Store-loyal regulars",
)


# ---------------------------------------------------------------- bundled data


def test_wholesale_bytes_match_published_checksum() -> None:
    data = sample_data_path("wholesale_customers.csv").read_bytes()
    assert len(data) == 15021
    assert hashlib.sha256(data).hexdigest() == WHOLESALE_SHA256


def test_wholesale_known_answers() -> None:
    df = load_wholesale()
    assert df.shape == (440, 8)
    assert list(df.columns) == [
        "Channel",
        "Region",
        "Fresh",
        "Milk",
        "Grocery",
        "Frozen",
        "Detergents_Paper",
        "Delicassen",
    ]
    assert (df.dtypes == np.int64).all()
    assert not df.isna().any().any()
    assert df["Channel"].value_counts().to_dict() == {1: 298, 2: 142}
    assert df["Region"].value_counts().to_dict() == {1: 77, 2: 47, 3: 316}
    assert round(float(df["Fresh"].mean()), 2) == 12000.30
    assert round(float(df["Fresh"].std()), 2) == 12647.33


def test_sample_data_path_default_and_unknown() -> None:
    path = sample_data_path()
    assert path.name == "wholesale_customers.csv"
    assert path.is_file()
    with pytest.raises(ValueError, match=r"wholesale_customers\.csv.*got 'nope\.csv'"):
        sample_data_path("nope.csv")
    # Not a way out of the data folder, and the attribution file is not a dataset.
    with pytest.raises(ValueError, match="bundled datasets"):
        sample_data_path("../__init__.py")
    with pytest.raises(ValueError, match="bundled datasets"):
        sample_data_path("ATTRIBUTION.md")


def test_attribution_ships_with_the_data() -> None:
    text = (sample_data_path().parent / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for needle in ("CC BY 4.0", "10.24432/C5030X", "Cardoso", WHOLESALE_SHA256, "Horeca"):
        assert needle in text


# ---------------------------------------------------------------- make_customers


@pytest.fixture(scope="module")
def default_data() -> SyntheticCustomers:
    return make_customers(5000, n_segments=8, seed=7)


@pytest.mark.parametrize("n", [1, 7, 1000])
def test_shapes_and_dtypes(n: int) -> None:
    data = make_customers(n)
    frame = data.frame
    assert frame.shape == (n, 11)
    assert list(frame.columns) == COLUMNS
    assert frame["customer_id"].dtype == "str"
    for col in INT_COLUMNS:
        assert frame[col].dtype == np.int64, col
    for col in MISSING_COLUMNS:
        assert frame[col].dtype == np.float64, col
    assert list(frame["gender"].cat.categories) == ["Female", "Male", "Other"]
    assert list(frame["region"].cat.categories) == ["North", "South", "East", "West"]
    assert list(frame["channel"].cat.categories) == ["Online", "Store", "Both"]
    assert data.labels.shape == (n,)
    assert data.labels.dtype == np.int64
    assert data.outlier_mask.shape == (n,)
    assert data.outlier_mask.dtype == np.bool_
    assert isinstance(frame.index, pd.RangeIndex)


def test_result_is_frozen() -> None:
    data = make_customers(10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.labels = np.zeros(10, dtype=np.int64)  # type: ignore[misc]


def test_deterministic_for_a_seed() -> None:
    a = make_customers(3000, n_segments=5, seed=42)
    b = make_customers(3000, n_segments=5, seed=42)
    assert a.frame.equals(b.frame)
    assert a.frame.dtypes.equals(b.frame.dtypes)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.outlier_mask, b.outlier_mask)
    assert a.segment_names == b.segment_names
    c = make_customers(3000, n_segments=5, seed=43)
    assert not a.frame.equals(c.frame)
    assert not np.array_equal(a.labels, c.labels)


def test_rates_do_not_change_clean_values() -> None:
    clean = make_customers(2000, seed=3, missing_rate=0.0, outlier_rate=0.0)
    dirty = make_customers(2000, seed=3, missing_rate=0.1, outlier_rate=0.05)
    np.testing.assert_array_equal(clean.labels, dirty.labels)
    keep = ~dirty.outlier_mask
    left = clean.frame[keep]
    right = dirty.frame[keep]
    assert left.where(right.notna()).equals(right)


def test_customer_ids() -> None:
    ids = make_customers(1500).frame["customer_id"]
    assert ids.is_unique
    assert ids.iloc[0] == "C000001"
    assert ids.iloc[-1] == "C001500"
    assert ids.str.fullmatch(r"C\d{6}").all()


def test_customer_ids_widen_for_a_million_rows() -> None:
    ids = make_customers(1_000_000, n_segments=2, missing_rate=0.0, outlier_rate=0.0).frame[
        "customer_id"
    ]
    assert ids.iloc[0] == "C0000001"
    assert ids.iloc[-1] == "C1000000"
    assert ids.is_unique


def test_value_ranges(default_data: SyntheticCustomers) -> None:
    f = default_data.frame
    assert f["age"].between(18, 90).all()
    assert (f["annual_income"].dropna() > 0).all()
    assert f["spending_score"].between(1, 100).all()
    assert (f["tenure_months"] >= 0).all()
    assert (f["tenure_months"] <= (f["age"] - 18) * 12).all()
    assert f["online_share"].dropna().between(0, 1).all()
    assert (f["orders_per_year"].dropna() >= 0).all()
    assert (f["avg_order_value"].dropna() > 0).all()
    # Order values are right-skewed, as money is.
    values = f["avg_order_value"].dropna().to_numpy()
    assert float(np.mean(values)) > 1.3 * float(np.median(values))
    for col in ("gender", "region", "channel"):
        assert not f[col].isna().any()
    share = f["online_share"]
    assert (f.loc[share >= 0.8, "channel"] == "Online").all()
    assert (f.loc[share <= 0.2, "channel"] == "Store").all()
    assert (f.loc[share.between(0.2, 0.8, inclusive="neither"), "channel"] == "Both").all()


@pytest.mark.parametrize("k", range(2, 9))
def test_labels_and_segment_sizes(k: int) -> None:
    n = 2000
    data = make_customers(n, n_segments=k, seed=k)
    assert data.segment_names == ALL_NAMES[:k]
    assert data.n_segments == k
    counts = np.bincount(data.labels, minlength=k)
    assert counts.shape == (k,)
    assert counts.sum() == n
    assert (counts >= 0.05 * n).all()
    assert counts.max() > counts.min()  # unequal sizes


def test_segments_have_distinct_profiles(default_data: SyntheticCustomers) -> None:
    f = default_data.frame
    segment = pd.Series(default_data.labels, name="segment")
    # Distinct centres relative to the within-segment spread: every pair of segment
    # medians is >= 3 within-segment SDs apart overall, and >= 1.5 SDs apart in at
    # least 3 features on the scale where each feature is roughly normal.
    raw = f[NUMERIC]
    normalish = raw.assign(
        annual_income=np.log(raw["annual_income"]),
        tenure_months=np.log1p(raw["tenure_months"]),
        online_share=np.log(raw["online_share"] / (1 - raw["online_share"])),
        orders_per_year=np.log(raw["orders_per_year"]),
        avg_order_value=np.log(raw["avg_order_value"]),
    )
    by_segment = [table.groupby(segment) for table in (raw, normalish)]
    raw_c, norm_c = (g.median() / g.std().mean() for g in by_segment)
    for i in range(8):
        for j in range(i + 1, 8):
            assert np.linalg.norm(raw_c.iloc[i] - raw_c.iloc[j]) >= 3.0, (i, j)
            assert ((norm_c.iloc[i] - norm_c.iloc[j]).abs() >= 1.5).sum() >= 3, (i, j)
    # And their own category mixes.
    regions = pd.crosstab(segment, f["region"], normalize="index")
    assert (regions.max() - regions.min()).max() > 0.2
    genders = pd.crosstab(segment, f["gender"], normalize="index")
    assert (genders.max() - genders.min()).max() > 0.15


def test_missing_rate_honoured() -> None:
    n, rate = 4000, 0.05
    data = make_customers(n, missing_rate=rate, outlier_rate=0.02, seed=5)
    frac = data.frame.isna().mean()
    for col in MISSING_COLUMNS:
        # Outlier cells are never blanked, so a few fewer than rate * n.
        assert rate - 0.005 <= frac[col] <= rate, col
    assert frac.drop(MISSING_COLUMNS).eq(0).all()


def test_outlier_rate_honoured() -> None:
    n, rate = 4000, 0.03
    clean = make_customers(n, seed=9, missing_rate=0.0, outlier_rate=0.0)
    data = make_customers(n, seed=9, missing_rate=0.0, outlier_rate=rate)
    mask = data.outlier_mask
    assert mask.sum() == round(rate * n)
    changed = data.frame[NUMERIC].ne(clean.frame[NUMERIC])
    # Exactly one value changed in each outlier row, none elsewhere.
    np.testing.assert_array_equal(changed.sum(axis=1).to_numpy(), mask.astype(int))
    assert set(changed.columns[changed.any()]) <= set(OUTLIER_COLUMNS)
    ratio = (data.frame[OUTLIER_COLUMNS] / clean.frame[OUTLIER_COLUMNS])[mask].max(axis=1)
    assert ratio.between(7.5, 21).all()


def test_zero_rates_give_clean_table() -> None:
    data = make_customers(3000, n_segments=6, missing_rate=0.0, outlier_rate=0.0)
    assert not data.frame.isna().any().any()
    assert not data.outlier_mask.any()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "n must be an integer >= 1, got 0"),
        ({"n": 2.5}, "n must be an integer"),
        ({"n": True}, "n must be an integer"),
        ({"n_segments": 1}, "n_segments must be an integer between 2 and 8, got 1"),
        ({"n_segments": 9}, "n_segments must be an integer between 2 and 8, got 9"),
        ({"seed": -1}, "seed must be an integer >= 0, got -1"),
        ({"missing_rate": 0.5}, r"missing_rate must be a number in \[0, 0.5\), got 0.5"),
        ({"missing_rate": -0.01}, "missing_rate must be a number"),
        ({"outlier_rate": 0.7}, "outlier_rate must be a number"),
        ({"outlier_rate": "0.1"}, "outlier_rate must be a number"),
        ({"separation": -1.0}, "separation must be a finite number >= 0"),
        ({"separation": float("inf")}, "separation must be a finite number >= 0"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_customers(**kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- recovery


def _kmeans_ari(data: SyntheticCustomers) -> float:
    """ARI of K-Means on the standardised numeric columns (outlier rows dropped)."""
    keep = ~data.outlier_mask
    x = data.frame.loc[keep, NUMERIC].astype(float)
    x = x.fillna(x.median())
    z = StandardScaler().fit_transform(x)
    k = data.n_segments
    predicted = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(z)
    return float(adjusted_rand_score(data.labels[keep], predicted))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("k", range(3, 9))
def test_kmeans_recovers_planted_segments(k: int, seed: int) -> None:
    data = make_customers(2000, n_segments=k, seed=seed)
    assert _kmeans_ari(data) >= 0.9


@pytest.mark.parametrize("k", [4, 8])
def test_lower_separation_is_harder(k: int) -> None:
    easy = _kmeans_ari(make_customers(2000, n_segments=k, seed=0))
    hard = _kmeans_ari(make_customers(2000, n_segments=k, seed=0, separation=0.3))
    none = _kmeans_ari(make_customers(2000, n_segments=k, seed=0, separation=0.0))
    assert hard < 0.7
    assert hard < easy - 0.3
    assert none < 0.05
