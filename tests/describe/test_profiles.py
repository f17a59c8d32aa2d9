"""Tests for describe.profiles: per-segment figures, names, drivers and actions by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentkit.config import Config
from segmentkit.describe.profiles import (
    NOISE_NAME,
    OUTLIER_NAME,
    UNUSUAL_SEGMENT,
    Driver,
    SegmentProfiles,
    profile_groups,
    profile_segments,
)
from segmentkit.pipeline import run_segmentation
from segmentkit.prepare.transformer import PreparedData, prepare

# Nothing that changes numbers: no log transform, outliers are ordinary customers.
PLAIN = {"cleaning.log_transform.mode": "never", "cleaning.outliers.policy": "keep"}


def plain_config(**overrides: object) -> Config:
    return Config().with_overrides({**PLAIN, **overrides})


def customers() -> pd.DataFrame:
    """Ten customers: three rich and thrifty, three poor and keen, four in between."""
    north, south, east = "north", "south", "east"
    return pd.DataFrame(
        {
            "income": [80.0, 90.0, 85.0, 20.0, 30.0, 25.0, 50.0, 55.0, 45.0, 40.0],
            "spending_score": [10.0, 20.0, 15.0, 80.0, 90.0, 85.0, 50.0, 45.0, 55.0, 50.0],
            "region": [north, north, south, south, south, east, east, north, east, east],
        }
    )


LABELS = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])


def profile(
    frame: pd.DataFrame, labels: np.ndarray, config: Config, method: str = "kmeans"
) -> tuple[PreparedData, SegmentProfiles]:
    prepared = prepare(frame, config)
    return prepared, profile_segments(prepared, method, labels, config.profiles)


def by_segment(profiles: SegmentProfiles) -> pd.DataFrame:
    return profiles.table.set_index("segment")


def hand_z(values: list[float], members: list[int]) -> float:
    """(segment mean - mean of all) / std of all (ddof=0), on the original column."""
    column = np.array(values)
    return float((column[members].mean() - column.mean()) / column.std(ddof=0))


# --------------------------------------------------------------------------- figures


def test_sizes_and_shares() -> None:
    _, result = profile(customers(), LABELS, plain_config())
    table = result.table
    assert table["segment"].tolist() == [0, 1, 2]
    assert table["method"].tolist() == ["kmeans"] * 3
    assert table["size"].tolist() == [3, 3, 4]
    assert table["share"].tolist() == pytest.approx([0.3, 0.3, 0.4])
    assert list(table.columns[:5]) == ["method", "segment", "name", "size", "share"]


def test_numeric_figures_in_original_units() -> None:
    _, result = profile(customers(), LABELS, plain_config())
    table = by_segment(result)
    # income: segment 0 = [80, 90, 85], 1 = [20, 30, 25], 2 = [50, 55, 45, 40].
    stats = ["income_mean", "income_median", "income_min", "income_max"]
    assert table.loc[0, stats].tolist() == [85.0, 85.0, 80.0, 90.0]
    assert table.loc[1, stats].tolist() == [25.0, 25.0, 20.0, 30.0]
    assert table.loc[2, stats].tolist() == [47.5, 47.5, 40.0, 55.0]
    assert table.loc[2, "spending_score_mean"] == 50.0
    assert table.loc[2, "spending_score_median"] == 50.0


def test_z_is_standardised_difference_from_all_customers() -> None:
    frame = customers()
    _, result = profile(frame, LABELS, plain_config())
    table = by_segment(result)
    # income: mean 52, std (ddof=0) sqrt(5760 / 10) = 24.
    assert table.loc[0, "income_z"] == pytest.approx((85.0 - 52.0) / 24.0)  # 1.375
    assert table.loc[1, "income_z"] == pytest.approx((25.0 - 52.0) / 24.0)  # -1.125
    assert table.loc[2, "income_z"] == pytest.approx((47.5 - 52.0) / 24.0)  # -0.1875
    spending = frame["spending_score"].tolist()
    for segment, members in {0: [0, 1, 2], 1: [3, 4, 5], 2: [6, 7, 8, 9]}.items():
        expected = hand_z(spending, members)
        assert table.loc[segment, "spending_score_z"] == pytest.approx(expected, abs=1e-12)
    assert table.loc[0, "spending_score_z"] == pytest.approx(-35.0 / np.sqrt(750.0))
    # The contrasts table holds the same numbers for segments >= 0.
    assert result.contrasts.loc[0, "income"] == pytest.approx(1.375)


def test_z_on_log_scale_figures_in_money() -> None:
    frame = pd.DataFrame(
        {
            "total_spend": [10.0, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120],
            "age": [21.5, 23, 25, 27, 29, 51, 53, 55, 57, 59],
        }
    )
    config = Config().with_overrides(
        {"cleaning.log_transform.columns": ["total_spend"], "cleaning.outliers.policy": "keep"}
    )
    prepared, result = profile(frame, np.repeat([0, 1], 5), config)
    assert prepared.log_columns == ["total_spend"]
    table = by_segment(result)
    # The mean stays money ...
    assert table.loc[0, "total_spend_mean"] == 62.0  # (10+20+40+80+160) / 5
    assert table.loc[1, "total_spend_mean"] == 1984.0
    # ... while z is measured on the log scale the model saw.
    logged = np.log1p(frame["total_spend"].to_numpy())
    expected = (logged[:5].mean() - logged.mean()) / logged.std()
    assert table.loc[0, "total_spend_z"] == pytest.approx(expected)
    assert table.loc[1, "total_spend_z"] == pytest.approx(-expected)
    assert table.loc[0, "age_z"] == pytest.approx(hand_z(frame["age"].tolist(), [0, 1, 2, 3, 4]))


def test_categorical_top_share_lift_and_mix() -> None:
    _, result = profile(customers(), LABELS, plain_config())
    table = by_segment(result)
    # Overall: north 3/10, south 3/10, east 4/10.
    assert table.loc[0, "region_top"] == "north"
    assert table.loc[0, "region_top_share"] == pytest.approx(2 / 3)
    assert table.loc[0, "region_top_lift"] == pytest.approx((2 / 3) / 0.3)
    assert table.loc[0, "region_mix"] == "north 67% (x2.22); south 33% (x1.11)"
    assert table.loc[1, "region_top"] == "south"
    assert table.loc[1, "region_mix"] == "south 67% (x2.22); east 33% (x0.83)"
    assert table.loc[2, "region_top"] == "east"
    assert table.loc[2, "region_top_share"] == 0.75
    assert table.loc[2, "region_top_lift"] == pytest.approx(0.75 / 0.4)
    assert table.loc[2, "region_mix"] == "east 75% (x1.88); north 25% (x0.83)"


def test_mix_lists_top_categories_only() -> None:
    _, result = profile(customers(), LABELS, plain_config(**{"profiles.top_categories": 1}))
    assert by_segment(result).loc[0, "region_mix"] == "north 67% (x2.22)"


# --------------------------------------------------------------------------- share of value


def with_spend() -> pd.DataFrame:
    frame = customers()
    frame["total_spend"] = [100.0, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
    frame["store_sales"] = [1.5, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    return frame


def test_value_share_from_detected_column() -> None:
    _, result = profile(with_spend(), LABELS, plain_config())
    assert result.value_columns == ("total_spend",)
    table = by_segment(result)
    # Total 5,500: segment 0 brings 600, segment 1 1,500, segment 2 3,400.
    assert table["value_share"].tolist() == pytest.approx([600 / 5500, 1500 / 5500, 3400 / 5500])
    assert result.table.columns[5] == "value_share"
    assert "bringing 11% of total spend" in result.descriptions[0]


def test_value_share_from_two_configured_columns() -> None:
    config = plain_config(**{"profiles.value_columns": ["total_spend", "store_sales"]})
    _, result = profile(with_spend(), LABELS, config)
    assert result.value_columns == ("total_spend", "store_sales")
    # Summed per customer: total 5,500 + 55.5 = 5,555.5.
    expected = [
        (600 + 6.5) / 5555.5,
        (1500 + 15) / 5555.5,
        (3400 + 34) / 5555.5,
    ]
    assert by_segment(result)["value_share"].tolist() == pytest.approx(expected)
    assert "of total value" in result.descriptions[0]


def test_value_share_turned_off() -> None:
    _, result = profile(with_spend(), LABELS, plain_config(**{"profiles.value_columns": []}))
    assert result.value_columns == ()
    assert "value_share" not in result.table.columns
    assert "bringing" not in result.descriptions[0]


def test_no_value_share_without_a_value_column() -> None:
    # "spending_score" is a score, not money.
    _, result = profile(customers(), LABELS, plain_config())
    assert result.value_columns == ()
    assert "value_share" not in result.table.columns


# --------------------------------------------------------------------------- outliers and noise


def with_outlier() -> pd.DataFrame:
    """Eleven customers; the last one's income (500) is far beyond the IQR fences."""
    return pd.DataFrame(
        {
            "income": [10.0, 12, 11, 13, 14, 30, 32, 31, 33, 34, 500],
            "age": [20.0, 22, 24, 26, 28, 40, 42, 44, 46, 48, 44],
        }
    )


OUTLIER_LABELS = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])


def test_flagged_outlier_profiled_apart() -> None:
    frame = with_outlier()
    config = plain_config(**{"cleaning.outliers.policy": "flag"})
    prepared, result = profile(frame, OUTLIER_LABELS, config)
    assert prepared.fit_mask.tolist() == [True] * 10 + [False]
    table = by_segment(result)
    assert table.index.tolist() == [0, 1, UNUSUAL_SEGMENT]
    assert table["size"].tolist() == [5, 5, 1]
    assert table["size"].sum() == len(frame)
    assert table["share"].sum() == pytest.approx(1.0)
    # Segment 1 is described without its outlier: [30, 32, 31, 33, 34].
    assert table.loc[1, "income_mean"] == 32.0
    assert table.loc[1, "income_max"] == 34.0
    assert table.loc[UNUSUAL_SEGMENT, "income_mean"] == 500.0
    # Named by what sets them apart, not only by how they were found.
    assert (
        result.names[UNUSUAL_SEGMENT]
        == "Unusual customers (outliers): very high income, older customers"
    )
    assert OUTLIER_NAME == "Unusual customers (outliers)"
    assert table.loc[UNUSUAL_SEGMENT, "recommendation_rules"] == "unusual"
    # z compares with every kept customer, the outlier included.
    income = frame["income"].tolist()
    assert table.loc[1, "income_z"] == pytest.approx(hand_z(income, [5, 6, 7, 8, 9]))
    assert table.loc[UNUSUAL_SEGMENT, "income_z"] == pytest.approx(hand_z(income, [10]))


def test_segment_made_only_of_outliers_keeps_its_row() -> None:
    config = plain_config(**{"cleaning.outliers.policy": "flag"})
    labels = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2])
    _, result = profile(with_outlier(), labels, config)
    table = by_segment(result)
    assert table.index.tolist() == [0, 1, 2]
    assert table["size"].tolist() == [5, 5, 1]
    assert table.loc[2, "income_mean"] == 500.0
    assert OUTLIER_NAME not in result.names.values()


def test_outlier_kept_in_its_segment_under_keep() -> None:
    _, result = profile(with_outlier(), OUTLIER_LABELS, plain_config())
    table = by_segment(result)
    assert table.index.tolist() == [0, 1]
    assert table.loc[1, "size"] == 6
    assert table.loc[1, "income_mean"] == pytest.approx((160 + 500) / 6)  # 110


def test_outlier_gone_under_drop() -> None:
    config = plain_config(**{"cleaning.outliers.policy": "drop"})
    prepared, result = profile(with_outlier(), OUTLIER_LABELS[:10], config)
    assert len(prepared.cleaned) == 10
    table = by_segment(result)
    assert table.index.tolist() == [0, 1]
    assert table["size"].tolist() == [5, 5]
    assert table.loc[1, "income_mean"] == 32.0


def test_noise_profiled_as_unusual() -> None:
    config = plain_config()
    labels = np.array([0, 0, 0, 0, -1, 1, 1, 1, 1, 1, 1])
    _, result = profile(with_outlier(), labels, config, method="dbscan")
    table = by_segment(result)
    assert table.index.tolist() == [0, 1, -1]
    assert table.loc[-1, "size"] == 1
    assert table.loc[-1, "income_mean"] == 14.0
    assert result.names[-1] == "Unusual customers (noise): younger customers"
    assert NOISE_NAME == "Unusual customers (noise)"
    assert result.recommendations[-1] == (("unusual", config.profiles.unusual_action),)
    assert table.loc[-1, "recommendation"] == config.profiles.unusual_action
    assert "DBSCAN" in result.descriptions[-1]


def test_noise_and_outliers_together() -> None:
    config = plain_config(**{"cleaning.outliers.policy": "flag"})
    labels = np.array([0, 0, 0, 0, -1, 1, 1, 1, 1, 1, 1])
    _, result = profile(with_outlier(), labels, config, method="dbscan")
    table = by_segment(result)
    assert table.index.tolist() == [0, 1, -1, UNUSUAL_SEGMENT]
    assert table["size"].tolist() == [4, 5, 1, 1]
    assert result.recommendations[UNUSUAL_SEGMENT][0][0] == "unusual"


def test_profile_groups_outlier_noise_stays_noise() -> None:
    labels = np.array([0, 0, -1, 1, 1])
    fit_mask = np.array([True, False, False, True, True])
    assert profile_groups(labels, fit_mask).tolist() == [0, -2, -1, 1, 1]
    assert labels.tolist() == [0, 0, -1, 1, 1]


# --------------------------------------------------------------------------- names and words


def test_names_high_income_low_spending() -> None:
    _, result = profile(customers(), LABELS, plain_config())
    assert result.names[0] == "High income · Low spending score"
    assert result.names[1] == "High spending score · Low income"
    name = result.names[0]
    for word in ("High", "income", "Low", "spending"):
        assert word in name
    assert result.table["name"].tolist() == list(result.names.values())


def test_names_unique_within_method() -> None:
    # Segments 0 and 1 are the same customers twice over: identical profiles.
    frame = pd.DataFrame(
        {
            "income": [90.5, 80.5, 80.5, 90.5, 20.5, 30.5, 25.5, 35.5],
            "age": [30.5, 40.5, 40.5, 30.5, 35.5, 36.5, 34.5, 33.5],
        }
    )
    _, result = profile(frame, np.array([0, 0, 1, 1, 2, 2, 2, 2]), plain_config())
    names = list(result.names.values())
    assert len(set(names)) == len(names) == 3
    assert result.names[0] == "High income"
    assert result.names[1].startswith("High income")


def test_names_unique_when_nothing_differs() -> None:
    frame = pd.DataFrame({"income": [90.5, 80.5] * 4, "age": [30.5, 40.5] * 4})
    _, result = profile(frame, np.repeat([0, 1], 4), plain_config())
    assert result.names[0] == "Average customers"
    assert len(set(result.names.values())) == 2


def test_name_from_category_when_numbers_are_average() -> None:
    frame = pd.DataFrame(
        {"income": [10.5, 20, 30, 40] * 2, "region": ["north"] * 4 + ["south"] * 4}
    )
    _, result = profile(frame, np.repeat([0, 1], 4), plain_config())
    # Every customer of each segment has the value: "All", not "Mostly".
    assert result.names == {0: "All north (region)", 1: "All south (region)"}


def test_description_size_and_means_in_original_units() -> None:
    _, result = profile(customers(), LABELS, plain_config())
    description = result.descriptions[0]
    assert description.startswith("3 customers (30% of all).")
    # Whole figures print whole (a mean of 85.0 reads "85"), others with ~3 digits.
    assert "higher income (mean 85 vs 52)" in description
    assert "lower spending score (mean 15 vs 50)" in description
    assert result.table.loc[0, "description"] == description
    key_figures = result.table.loc[0, "key_figures"]
    assert key_figures.startswith("Income: 85 (all: 52); Spending score: 15 (all: 50)")


def test_description_close_to_average() -> None:
    frame = pd.DataFrame({"income": [90.5, 80.5] * 4, "age": [30.5, 40.5] * 4})
    _, result = profile(frame, np.repeat([0, 1], 4), plain_config())
    assert result.descriptions[0] == (
        "4 customers (50% of all). Close to the average customer on every feature."
    )


# --------------------------------------------------------------------------- drivers


def test_drivers_ordered_by_absolute_z() -> None:
    _, result = profile(customers(), LABELS, plain_config())
    for segment, drivers in result.drivers.items():
        strengths = [abs(d.z) for d in drivers]
        assert strengths == sorted(strengths, reverse=True), segment
        assert {d.feature for d in drivers} == {"income", "spending_score", "region"}
    first = result.drivers[0][0]
    assert isinstance(first, Driver)
    assert (first.feature, first.value) == ("income", None)
    assert first.z == pytest.approx(1.375)
    assert result.table.loc[0, "drivers"].startswith("Income +1.4 sd; Spending score -1.3 sd")


def test_categorical_driver_carries_value() -> None:
    _, result = profile(customers(), LABELS, plain_config())
    region = {d.feature: d for d in result.drivers[1]}["region"]
    # Segment 1 is 2/3 south against 3/10 overall; z of the 0/1 indicator.
    assert region.value == "south"
    assert region.z == pytest.approx((2 / 3 - 0.3) / np.sqrt(0.3 * 0.7))
    numeric = [d for d in result.drivers[1] if d.feature != "region"]
    assert all(d.value is None for d in numeric)
    assert "more customers whose region is south (67% vs 30%)" in result.descriptions[1]


# --------------------------------------------------------------------------- recommendations


def test_recommendations_follow_rules() -> None:
    _, result = profile(customers(), LABELS, plain_config())
    assert result.recommendations[0][0][0] == "untapped"
    assert result.recommendations[1][0][0] == "stretched"
    table = by_segment(result)
    assert table.loc[0, "recommendation_rules"].split()[0] == "untapped"
    assert table.loc[0, "recommendation"].startswith("Untapped potential")


def test_binary_category_mirror_segments_both_get_category_action() -> None:
    frame = pd.DataFrame(
        {"income": [10.5, 20, 30, 40] * 2, "region": ["north"] * 4 + ["south"] * 4}
    )
    _, result = profile(frame, np.repeat([0, 1], 4), plain_config())
    # Segment 0 is 100% north, segment 1 100% south: both lift 2.0 over 50% overall.
    assert by_segment(result)["region_top_lift"].tolist() == [2.0, 2.0]
    assert result.recommendations[0][0][0] == "category_mix"
    assert result.recommendations[1][0] == (
        "category_mix",
        "Tailor offers and messages to customers whose region is south, who are "
        "over-represented here.",
    )


# --------------------------------------------------------------------------- purity


def test_inputs_not_modified() -> None:
    prepared = prepare(with_spend(), plain_config())
    cleaned = prepared.cleaned.copy(deep=True)
    X = prepared.X.copy()
    labels = LABELS.copy()
    profile_segments(prepared, "kmeans", labels)
    pd.testing.assert_frame_equal(prepared.cleaned, cleaned)
    np.testing.assert_array_equal(prepared.X, X)
    np.testing.assert_array_equal(labels, LABELS)


# --------------------------------------------------------------------------- real data


def level_of_part(name: str, word: str) -> str | None:
    """Level word ("High", "Low" ...) of the part of a segment name that mentions ``word``."""
    for part in name.split(" · "):
        if word in part:
            for level in ("Very high", "Very low", "High", "Low", "Average"):
                if part.startswith(f"{level} "):
                    return level
    return None


def test_mall_customers_five_known_groups(mall_frame: pd.DataFrame) -> None:
    config = Config().with_overrides(
        {
            "input.features": ["Annual Income (k$)", "Spending Score (1-100)"],
            "clustering.methods": ["kmeans"],
        }
    )
    result = run_segmentation(mall_frame, config).profiles["kmeans"]
    segments = [s for s in result.names if s >= 0]
    assert len(segments) == 5
    expected = {
        ("High", "High"): "affluent_engaged",
        ("High", "Low"): "untapped",
        ("Low", "High"): "stretched",
        ("Low", "Low"): "price_sensitive",
    }
    found: dict[tuple[str, str] | str, list[int]] = {}
    for segment in segments:
        name = result.names[segment]
        key: tuple[str, str] | str
        if name == "Average customers":
            key = "average"
        else:
            income = level_of_part(name, "income")
            spending = level_of_part(name, "spending")
            assert income is not None and spending is not None, name
            key = (income, spending)
        found.setdefault(key, []).append(segment)
    assert sorted(found, key=str) == sorted([*expected, "average"], key=str)
    assert all(len(members) == 1 for members in found.values()), found
    for key, rule in [*expected.items(), ("average", "average")]:
        (segment,) = found[key]
        assert result.recommendations[segment][0][0] == rule, result.names[segment]


def _pandas_shares(values: pd.Series, members: np.ndarray) -> pd.Series:
    """A segment's category shares as profiles computed them before codes: pandas on text."""
    text = values.astype(object).where(values.notna(), "(missing)").astype(str)
    return text[members].value_counts(normalize=True)


@pytest.mark.parametrize("seed", range(40))
def test_category_shares_equal_pandas_value_counts(seed: int) -> None:
    """Codes counted give pandas' shares exactly: values, order (ties too), floats, name."""
    from segmentkit.describe.profile_population import category_shares, category_text_codes

    rng = np.random.default_rng(seed)
    n_rows = int(rng.integers(1, 60))
    pool: list[object] = ["a", "b", "c", "(missing)", None, np.nan, 1, "1", True, 2.5]
    pool = pool[: int(rng.integers(1, len(pool) + 1))]
    picks = rng.integers(0, len(pool), n_rows)
    mixed = pd.Series([pool[i] for i in picks], dtype=object, name="col")
    # Text as read from a file (pandas' str dtype, its own path), and Python objects.
    text = pd.Series([pool[i] if pool[i] is None else str(pool[i]) for i in picks], name="col")
    subset = np.flatnonzero(rng.random(n_rows) < 0.5)
    numbers = pd.Series(rng.integers(-2, 3, n_rows), name="col")
    for values in (
        mixed,
        text.astype(object),
        text.astype("str"),
        numbers,
        numbers.astype("Int64").mask(rng.random(n_rows) < 0.2),
        numbers > 0,
    ):
        codes, texts = category_text_codes(values)
        # Few rows and few values: equal counts (ties) are common.
        for members in (np.arange(n_rows), subset):
            if len(members) == 0:
                continue
            expected = _pandas_shares(values, members)
            got = category_shares(codes[members], texts)
            pd.testing.assert_series_equal(got, expected, check_exact=True, check_index_type=True)
