"""What a marketer reads: directions that agree with their figures, names in words, advice
that fits the data, and unusual customers named by what they are (issue 16)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans

from conftest import shared_dataset
from segmentkit.api import transaction_config
from segmentkit.cli import main
from segmentkit.config import Config
from segmentkit.datasets import sample_data_path
from segmentkit.describe.profiles import (
    SegmentProfiles,
    feature_labels,
    profile_segments,
    standardised_differences,
)
from segmentkit.prepare.transformer import prepare
from segmentkit.sources.read import read_table
from segmentkit.transactions.rfm import customers_from_transactions

# "higher spend on wines (median 1,234 vs 567 k$)" or "lower age (mean 41.2 years vs 45.0 years)"
_PHRASE = re.compile(
    r"(higher|lower) ([^,(]+?) \((mean|median) (-?[\d,.]+)[^\d-]*? vs (-?[\d,.]+)[^)]*\)"
)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _kmeans_profiles(frame: pd.DataFrame, k: int, **overrides: object) -> SegmentProfiles:
    config = Config().with_overrides({"seed": 0, **overrides})
    prepared = prepare(frame, config)
    model = KMeans(k, n_init=4, random_state=0).fit(prepared.X_fit)
    return profile_segments(prepared, "kmeans", model.predict(prepared.X), config.profiles)


def _phrases(profiles: SegmentProfiles) -> list[tuple[str, str, float, float]]:
    found = []
    for description in profiles.descriptions.values():
        for direction, feature, _, segment, overall in _PHRASE.findall(description):
            found.append((direction, feature, _number(segment), _number(overall)))
    return found


def test_skewed_column_direction_agrees_with_the_figure_shown() -> None:
    # Segment 1: many tiny spenders and two whales. Its mean is higher than everyone's,
    # its median (and the log scale the model compares) lower. The old text said
    # "lower spend (mean 2,190 vs 1,525)".
    rng = np.random.default_rng(0)
    spend = np.concatenate(
        [rng.lognormal(6, 0.4, 300), rng.lognormal(4, 0.4, 98), [60_000.0, 80_000.0]]
    )
    visits = np.concatenate([rng.normal(5, 1, 300), rng.normal(12, 1, 100)])
    frame = pd.DataFrame({"spend": spend, "visits": visits})
    config = Config().with_overrides({"seed": 0, "cleaning.outliers.policy": "keep"})
    prepared = prepare(frame, config)
    assert "spend" in prepared.log_columns
    labels = np.repeat([0, 1], [300, 100])
    profiles = profile_segments(prepared, "kmeans", labels, config.profiles)
    table = profiles.table.set_index("segment")
    # The reproduction: the segment's mean is above everyone's, its median below.
    assert table.loc[1, "spend_mean"] > frame["spend"].mean()
    assert table.loc[1, "spend_median"] < frame["spend"].median()
    assert table.loc[1, "spend_z"] < 0
    assert "lower spend (median" in profiles.descriptions[1]
    for direction, _, segment, overall in _phrases(profiles):
        assert (segment > overall) == (direction == "higher")


def test_a_difference_whose_figures_disagree_is_no_difference() -> None:
    # Both segments have the median of everyone (10), but different logs: the model's
    # z says "higher" for one; no "higher" or "lower" can be written honestly beside 10.
    spend = np.concatenate(
        [np.tile([1.0, 2, 10, 3000, 4000], 40), np.tile([9.0, 10, 11, 12, 0.5], 40)]
    )
    frame = pd.DataFrame({"spend": spend, "visits": np.arange(400.0) % 7})
    config = Config().with_overrides(
        {
            "seed": 0,
            "cleaning.outliers.policy": "keep",
            "cleaning.log_transform.columns": ["spend"],
        }
    )
    prepared = prepare(frame, config)
    assert "spend" in prepared.log_columns
    labels = np.repeat([0, 1], 200)
    raw = standardised_differences(prepared, labels)
    assert abs(raw.loc[0, "spend"]) > 0.3  # the model's scale sees a difference
    profiles = profile_segments(prepared, "kmeans", labels, config.profiles)
    table = profiles.table.set_index("segment")
    assert table["spend_median"].tolist() == [10.0, 10.0] == [frame["spend"].median()] * 2
    assert table["spend_z"].tolist() == [0.0, 0.0]
    said = " ".join(profiles.descriptions.values())
    assert "higher spend" not in said and "lower spend" not in said


def test_wholesale_every_higher_or_lower_agrees_with_its_figures() -> None:
    frame = pd.read_csv(shared_dataset("wholesale_customers/Wholesale customers data.csv"))
    checked = 0
    for k in (2, 3, 4):
        profiles = _kmeans_profiles(frame, k)
        for direction, feature, segment, overall in _phrases(profiles):
            assert (segment > overall) == (direction == "higher"), (feature, segment, overall)
            checked += 1
        # The heatmap colours are the profiles' z: they agree with the same figures.
        table = profiles.table.set_index("segment")
        for column in ("Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"):
            for segment in profiles.contrasts.index:
                z = profiles.contrasts.loc[segment, column]
                gap = table.loc[segment, f"{column}_median"] - frame[column].median()
                assert z == 0 or np.sign(z) == np.sign(gap)
    assert checked >= 10


def test_marketing_campaign_names_and_actions_read_as_words() -> None:
    frame = pd.read_csv(shared_dataset("customer_personality/marketing_campaign.csv"), sep="\t")
    profiles = _kmeans_profiles(frame, 4)
    prepared = prepare(frame, Config())
    labels = feature_labels(prepared)
    # A birth year reads as an age counted from the data's latest date (2014-06-29), a
    # registration date as days as a customer.
    assert labels["Year_Birth"].words == "age"
    assert labels["Year_Birth"].figure(1970.0) == "44 years"
    assert labels["Year_Birth"].figure(1969.5) == "44.5 years"
    assert labels["Dt_Customer"].words == "days as a customer"
    assert labels["MntMeatProducts"].words == "spend on meat products"
    assert labels["NumWebVisitsMonth"].words == "number of web visits per month"
    names = " ".join(profiles.names.values())
    assert not re.search(r"\b(mnt|num|dt)\b", names, re.IGNORECASE), names
    assert "Kidhome" not in names and "Year birth" not in names
    actions = " ".join(a for pairs in profiles.recommendations.values() for _, a in pairs)
    # Not "Tailor offers ... to 1 (kidhome)": a category is named in words, or not at all.
    assert not re.search(r"to -?\d+ \(", actions), actions
    descriptions = " ".join(profiles.descriptions.values()).lower()
    assert not re.search(r"\b(mnt|num|dt|year birth|kidhome|teenhome)\b", descriptions)


def test_advice_fits_credit_card_data() -> None:
    frame = pd.read_csv(shared_dataset("cc_general/CC GENERAL.csv"))
    profiles = _kmeans_profiles(frame, 4)
    actions = " ".join(a for pairs in profiles.recommendations.values() for _, a in pairs)
    assert "free-delivery" not in actions and "basket" not in actions
    rules = {rule for pairs in profiles.recommendations.values() for rule, _ in pairs}
    assert rules & {"cash_advance_users", "revolvers", "active_card_spenders", "light_users"}


def _with_unusual(amounts: list[float]) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    typical = pd.DataFrame(
        {"spend": rng.lognormal(6, 0.3, 200), "visits": rng.normal(6, 1, 200).round(0)}
    )
    unusual = pd.DataFrame({"spend": amounts, "visits": [6.0] * len(amounts)})
    frame = pd.concat([typical, unusual], ignore_index=True)
    labels = np.concatenate([rng.integers(0, 2, 200), [-1] * len(amounts)])
    return frame, labels


@pytest.mark.parametrize(
    ("amounts", "name", "rule"),
    [
        (
            [50_000.0, 60_000, 80_000, 45_000, 70_000],
            "Top customers (noise)",
            "unusual_top_customers",
        ),
        ([-500.0, -20, -3000, -80, 400], "Possible data errors (noise)", "unusual_data_errors"),
        ([0.0, 0, 0, 0, 400], "No recorded value (noise)", "unusual_negligible"),
        ([3.0, 5, 4, 6, 2], "Smallest accounts (noise)", "unusual_small_accounts"),
    ],
)
def test_unusual_customers_are_named_by_what_they_are(
    amounts: list[float], name: str, rule: str
) -> None:
    frame, labels = _with_unusual(amounts)
    config = Config().with_overrides({"seed": 0, "cleaning.outliers.policy": "keep"})
    prepared = prepare(frame, config)
    profiles = profile_segments(prepared, "dbscan", labels, config.profiles)
    assert profiles.names[-1] == name
    assert profiles.recommendations[-1][0][0] == rule
    # "data errors" is said only of the group whose figures look like errors.
    said = " ".join(a for _, a in profiles.recommendations[-1])
    assert ("impossible figure" in said) == (rule == "unusual_data_errors")


def test_demo_top_customers_are_advised_as_top_customers() -> None:
    # The bundled demo: the Online Retail sample, one row per customer as `segmentkit demo`
    # builds it.
    customers = customers_from_transactions(
        read_table(sample_data_path("online_retail_sample.csv.gz")).frame
    )
    config = transaction_config(Config().with_overrides({"seed": 0}), customers)
    prepared = prepare(customers.table, config)
    value = prepared.cleaned["monetary"]
    assert prepared.fit_mask.sum() < len(prepared.fit_mask)
    labels = KMeans(3, n_init=4, random_state=0).fit(prepared.X_fit).predict(prepared.X)
    profiles = profile_segments(prepared, "kmeans", labels, config.profiles)
    table = profiles.table.set_index("segment")
    unusual_value = value[~prepared.fit_mask].sum() / value.sum()
    assert table.loc[-2, "value_share"] == pytest.approx(unusual_value)
    assert unusual_value > 0.15  # a few customers, a large share of the spend
    # One customer holds most of it: the group is advised to find and care for its top
    # customers, not called suspects, and not all called top customers either.
    top = prepared.cleaned["monetary"] >= prepared.cleaned["monetary"].quantile(0.9)
    assert 0 < top[~prepared.fit_mask].mean() <= 0.5
    assert profiles.names[-2] == "Some top customers (outliers)"
    advice = " ".join(a for _, a in profiles.recommendations[-2])
    assert "VIP care" in advice and "data errors" not in advice


def test_a_segment_close_to_average_is_named_by_its_largest_difference() -> None:
    # Segment 1 buys a little more often (about 0.3 sd): not "Average customers".
    rng = np.random.default_rng(5)
    visits = np.concatenate([rng.normal(5.0, 1.0, 300), rng.normal(5.7, 1.0, 300)])
    frame = pd.DataFrame({"visits": visits, "age": rng.normal(40, 8, 600)})
    config = Config().with_overrides({"seed": 0, "cleaning.outliers.policy": "keep"})
    prepared = prepare(frame, config)
    labels = np.repeat([0, 1], 300)
    profiles = profile_segments(prepared, "kmeans", labels, config.profiles)
    z = profiles.contrasts.loc[1, "visits"]
    assert 0.25 <= z < 0.5
    assert profiles.names[1] == "Above-average visits"
    assert "Close to the average customer; slightly higher visits (mean" in profiles.descriptions[1]


def test_value_columns_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = shared_dataset("wholesale_customers/Wholesale customers data.csv")
    # A misspelt value column stops the run with one line, like --exclude does (it used to
    # warn after the segmentation and leave the column out of every share of value).
    code = main(
        ["run", str(path), "--value-columns", "Fresh,Delicasen", "--out", str(tmp_path / "bad")]
    )
    err = capsys.readouterr().err
    assert code == 1 and not (tmp_path / "bad").exists()
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "'Delicasen'" in errors[0] and "Traceback" not in err
    out = tmp_path / "good"
    args = ["--methods", "kmeans", "--k", "2", "--no-figures", "-q", "--out", str(out)]
    assert main(["run", str(path), "--value-columns", "Fresh,Milk", *args]) == 0
    profiles = pd.read_csv(out / "segment_profiles.csv")
    segments = pd.read_csv(out / "segments.csv")
    value = segments["Fresh"] + segments["Milk"]
    for row in profiles[profiles["segment"] >= 0].itertuples():
        members = (segments["segment"] == row.segment) & ~segments["is_outlier"]
        assert row.value_share == pytest.approx(value[members].sum() / value.sum())


def test_profile_of_another_method_does_not_borrow_the_recommendations_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = shared_dataset("wholesale_customers/Wholesale customers data.csv")
    out = tmp_path / "out"
    args = ["--methods", "kmeans,dbscan", "--k", "2", "--no-figures", "-q", "--out", str(out)]
    assert main(["run", str(path), *args]) == 0
    summary = pd.read_json(out / "run.json", typ="series")
    recommended = summary["recommended"]["method"]
    other = next(m for m in ("kmeans", "dbscan") if m != recommended)
    capsys.readouterr()
    assert main(["profile", str(out), "--method", other]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"Why {recommended}:" not in "\n".join(lines)
    assert lines[1].startswith(f"Recommended instead: {recommended} (")
    n_other = summary["methods"][other]["n_segments"]
    assert ("not a usable segmentation" in lines[0]) == (n_other < 2)
