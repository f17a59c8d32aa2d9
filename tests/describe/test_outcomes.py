"""Tests for outcome columns (segmentkit.describe.outcomes and the ``outcome`` role).

Issue 16: marketing_campaign's ``Response``, ``AcceptedCmp1..5`` and ``Complain`` and bank
marketing's ``y`` shaped the segments. An outcome is now detected by name, never a
feature, and profiled per segment as ``<outcome>_mean``.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from conftest import shared_dataset
from helpers import OutputFolder
from segmentkit.cli import main
from segmentkit.config import Config, ProfilesConfig, parse_config
from segmentkit.describe.actions import SegmentFacts, match_rules
from segmentkit.describe.outcomes import outcome_frame, outcome_values
from segmentkit.describe.profiles import profile_groups, profile_segments
from segmentkit.describe.terminal_view import load_profile_view, render_profile_view
from segmentkit.errors import ConfigError, DataError
from segmentkit.prepare.roles import ColumnRole, infer_roles, looks_like_outcome_name
from segmentkit.prepare.transformer import prepare

CAMPAIGN = "customer_personality/marketing_campaign.csv"
CAMPAIGN_OUTCOMES = [
    "AcceptedCmp3",
    "AcceptedCmp4",
    "AcceptedCmp5",
    "AcceptedCmp1",
    "AcceptedCmp2",
    "Complain",
    "Response",
]
DETECTED = "named like a campaign result; profiled per segment, never used to segment"


def read_campaign() -> pd.DataFrame:
    return pd.read_csv(shared_dataset(CAMPAIGN), sep="\t")


def roles_of(frame: pd.DataFrame, overrides: dict[str, Any] | None = None) -> dict[str, str]:
    config = Config.model_validate(overrides or {})
    return {c: r.role for c, r in infer_roles(frame, config.input, config.cleaning).items()}


def expected_means(segments: pd.DataFrame, method: str, column: str) -> pd.Series:
    """Each profile's mean of ``column``, computed from segments.csv alone."""
    groups = profile_groups(segments[f"segment_{method}"].to_numpy(), ~segments["is_outlier"])
    return segments[column].groupby(groups).mean()


# --------------------------------------------------------------------------- the original problem


def test_without_outcomes_campaign_results_shape_the_segments() -> None:
    # The behaviour of issue 16, still what detection switched off (outcomes = []) gives.
    prepared = prepare(read_campaign(), Config.model_validate({"input": {"outcomes": []}}))
    assert set(CAMPAIGN_OUTCOMES) <= set(prepared.features)
    assert prepared.outcomes.columns.tolist() == []


def test_campaign_results_are_outcomes_not_features() -> None:
    prepared = prepare(read_campaign(), Config())
    outcomes = [c for c, r in prepared.roles.items() if r.role == "outcome"]
    assert outcomes == CAMPAIGN_OUTCOMES
    assert not set(outcomes) & set(prepared.features)
    assert not any(prepared.feature_origin[m] in outcomes for m in prepared.model_feature_names)
    assert {prepared.roles[c].reason for c in outcomes} == {DETECTED}
    # Ordinary features keep their roles.
    for name in ["Income", "Recency", "MntWines", "NumWebVisitsMonth", "Year_Birth"]:
        assert prepared.roles[name].role == "numeric", name
    assert prepared.outcomes["Response"].mean() == pytest.approx(334 / 2240)


# --------------------------------------------------------------------------- one run of the CLI


@dataclass(frozen=True)
class CampaignRun:
    out: Path
    segments: pd.DataFrame
    profiles: pd.DataFrame
    run_json: dict[str, Any]
    log: str


@pytest.fixture(scope="module")
def campaign_run(tmp_path_factory: pytest.TempPathFactory) -> CampaignRun:
    path = shared_dataset(CAMPAIGN)
    out = tmp_path_factory.mktemp("campaign") / "out"
    assert main(["run", str(path), "--out", str(out), "--methods", "kmeans", "--k", "3", "-q"]) == 0
    output = OutputFolder(out)
    return CampaignRun(
        out=out,
        segments=output.segments,
        profiles=output.profiles,
        run_json=output.run_json,
        log=(out / "run.log").read_text(encoding="utf-8"),
    )


def test_run_records_and_logs_outcome_roles(campaign_run: CampaignRun) -> None:
    columns = campaign_run.run_json["columns"]
    assert {c for c, info in columns.items() if info["role"] == "outcome"} == set(CAMPAIGN_OUTCOMES)
    assert columns["Response"]["reason"] == DETECTED
    assert not set(CAMPAIGN_OUTCOMES) & set(campaign_run.run_json["features"])
    assert f"Column 'Response': outcome ({DETECTED})" in campaign_run.log
    population = campaign_run.run_json["population"]["outcomes"]
    rate = 334 / 2240
    assert population["Response"] == {
        "mean": pytest.approx(rate),
        "std": pytest.approx((rate * (1 - rate)) ** 0.5),
        "rate": True,
    }


def test_response_rate_per_segment_matches_segments_csv(campaign_run: CampaignRun) -> None:
    profiles = campaign_run.profiles.set_index("segment")
    for column in CAMPAIGN_OUTCOMES:
        expected = expected_means(campaign_run.segments, "kmeans", column)
        assert sorted(expected.index) == sorted(profiles.index)
        for segment, rate in expected.items():
            assert profiles.loc[segment, f"{column}_mean"] == pytest.approx(rate, abs=1e-12)
    # The segments differ in who responded: the rate is not the same everywhere.
    rates = profiles.loc[profiles.index >= 0, "Response_mean"]
    assert rates.max() / rates.min() > 1.5
    # Sizes weight the profile rates back to the overall rate.
    overall = (profiles["Response_mean"] * profiles["size"]).sum() / profiles["size"].sum()
    assert overall == pytest.approx(334 / 2240)


def test_outcome_columns_come_before_the_features(campaign_run: CampaignRun) -> None:
    columns = campaign_run.profiles.columns.tolist()
    means = [c for c in columns if c.endswith("_mean")]
    assert means[: len(CAMPAIGN_OUTCOMES)] == [f"{c}_mean" for c in CAMPAIGN_OUTCOMES]
    for column in CAMPAIGN_OUTCOMES:
        assert f"{column}_z" not in columns  # profiled as an outcome, not as a feature


def test_report_shows_outcome_lift(campaign_run: CampaignRun) -> None:
    html = (campaign_run.out / "report.html").read_text(encoding="utf-8")
    assert "Campaign results by segment" in html
    profiles = campaign_run.profiles.set_index("segment")
    best = int(profiles.loc[profiles.index >= 0, "Response_mean"].idxmax())
    rate = profiles.loc[best, "Response_mean"]
    lift = rate / (334 / 2240)
    assert f"Response {rate:.0%} vs 15% overall, ×{lift:.1f}" in html


def test_terminal_view_shows_outcomes(campaign_run: CampaignRun) -> None:
    view = load_profile_view(campaign_run.out)
    assert view.outcomes["Response"]["rate"] is True
    console = Console(width=200, record=True)
    console.print(render_profile_view(view))
    text = console.export_text()
    assert "Outcomes (segment vs all)" in text
    assert "×" in text


# --------------------------------------------------------------------------- bank: y = yes/no


def test_bank_y_is_an_outcome_profiled_as_a_rate() -> None:
    frame = pd.read_csv(shared_dataset("bank_marketing/bank.csv"), sep=";")
    prepared = prepare(frame, Config())
    assert prepared.roles["y"] == ColumnRole("y", "outcome", DETECTED)
    assert "y" not in prepared.features
    # Other bank columns, including the previous campaign's outcome, stay features.
    for name in ["poutcome", "campaign", "previous", "default", "age", "balance"]:
        assert prepared.roles[name].is_feature, name
    positive = prepared.raw["y"].eq("yes")
    assert prepared.outcomes["y"].tolist() == positive.astype(float).tolist()
    labels = (prepared.cleaned["age"] >= 40).to_numpy().astype(int)
    table = profile_segments(prepared, "by_age", labels).table.set_index("segment")
    groups = profile_groups(labels, prepared.fit_mask)
    for group in table.index:
        assert table.loc[group, "y_mean"] == pytest.approx(positive[groups == group].mean())
    assert 0 < table.loc[0, "y_mean"] < 1


# --------------------------------------------------------------------------- overrides


def small_customers(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    group = np.arange(n) % 2
    return pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1),
            "spend": np.where(group == 1, 500.0, 100.0) + rng.normal(0, 20, n).round(1),
            "visits": np.where(group == 1, 12.0, 3.0) + rng.normal(0, 1, n).round(1),
            "Response": (group == 1) & (np.arange(n) % 4 == 1),
            "promo_result": np.where(np.arange(n) % 3 == 0, "Yes", "no"),
            "churned": (np.arange(n) % 5 == 0).astype(int),
        }
    )


def run_small(
    tmp_path: Path, *args: str, config: dict[str, Any] | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    path = tmp_path / "customers.csv"
    small_customers().to_csv(path, index=False)
    extra: list[str] = []
    if config is not None:
        config_path = tmp_path / "config.json"
        config_path.write_text(json.dumps(config), encoding="utf-8")
        extra = ["--config", str(config_path)]
    out = tmp_path / "out"
    argv = ["run", str(path), "--out", str(out), "--methods", "kmeans", "--k", "2", "-q"]
    assert main([*argv, *extra, *args]) == 0
    output = OutputFolder(out)
    return output.profiles, output.run_json


def outcome_roles(run_json: dict[str, Any]) -> list[str]:
    return [c for c, info in run_json["columns"].items() if info["role"] == "outcome"]


def test_detected_by_default(tmp_path: Path) -> None:
    profiles, run_json = run_small(tmp_path)
    assert outcome_roles(run_json) == ["Response", "churned"]
    assert run_json["features"] == ["spend", "visits", "promo_result"]
    assert {"Response_mean", "churned_mean"} <= set(profiles.columns)


def test_outcomes_flag_replaces_detection(tmp_path: Path) -> None:
    profiles, run_json = run_small(tmp_path, "--outcomes", "promo_result")
    assert outcome_roles(run_json) == ["promo_result"]
    assert run_json["columns"]["promo_result"]["reason"] == (
        "listed in input.outcomes; profiled per segment, never used to segment"
    )
    assert "Response" in run_json["features"] and "churned" in run_json["features"]
    segments = pd.read_csv(tmp_path / "out" / "segments.csv")
    positive = segments["promo_result"].eq("Yes")
    expected = positive.groupby(
        profile_groups(segments["segment_kmeans"].to_numpy(), ~segments["is_outlier"])
    ).mean()
    table = profiles.set_index("segment")
    for segment, rate in expected.items():
        assert table.loc[segment, "promo_result_mean"] == pytest.approx(rate)
    # Response (true/false) is a categorical feature again, profiled as one.
    assert "Response_top_share" in profiles and "Response_mean" not in profiles


def test_report_escapes_outcome_names(tmp_path: Path) -> None:
    frame = small_customers().rename(columns={"promo_result": "<i>won</i>"})
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    argv = ["run", str(path), "--out", str(out), "--methods", "kmeans", "--k", "2", "-q"]
    assert main([*argv, "--outcomes", "<i>won</i>"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<i>won</i>" not in html
    assert "&lt;i&gt;won&lt;/i&gt;" in html


def test_empty_outcomes_flag_turns_detection_off(tmp_path: Path) -> None:
    _, run_json = run_small(tmp_path, "--outcomes", "")
    assert outcome_roles(run_json) == []
    assert {"Response", "churned"} <= set(run_json["features"])


def test_outcomes_in_the_config(tmp_path: Path) -> None:
    config = {
        "input": {"outcomes": ["promo_result", "churned"]},
        "profiles": {
            "rules": [
                {
                    "name": "promo_fans",
                    "when": [{"feature": "promo_result", "lift_above": 0.5}],
                    "action": "Send them the next promotion first.",
                }
            ]
        },
    }
    profiles, run_json = run_small(tmp_path, config=config)
    assert outcome_roles(run_json) == ["promo_result", "churned"]
    assert run_json["config"]["input"]["outcomes"] == ["promo_result", "churned"]
    assert (
        (profiles.loc[profiles["segment"] >= 0, "recommendation_rules"])
        .str.contains("promo_fans")
        .all()
    )
    # A rule on an outcome names a known column: no "never fires" warning.
    assert "never fires" not in (tmp_path / "out" / "run.log").read_text(encoding="utf-8")


def test_a_column_listed_in_features_stays_a_feature(tmp_path: Path) -> None:
    profiles, run_json = run_small(tmp_path, "--features", "spend,visits,Response")
    assert run_json["features"] == ["spend", "visits", "Response"]
    # churned is not a chosen feature but is still detected as an outcome.
    assert outcome_roles(run_json) == ["churned"]
    assert "churned_mean" in profiles


def test_an_outcome_cannot_also_be_a_feature() -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"input": {"features": ["Response", "spend"], "outcomes": ["Response"]}})
    assert error.value.problems == [
        "input: outcomes and features both name 'Response': an outcome is profiled per "
        "segment and never used to segment; keep it in one of them"
    ]
    with pytest.raises(ConfigError) as error:
        parse_config({"input": {"id_column": "id", "outcomes": ["id"]}})
    assert "outcomes and id_column both name 'id'" in error.value.problems[0]


def test_a_listed_outcome_must_exist() -> None:
    config = Config.model_validate({"input": {"outcomes": ["Responce"]}})
    with pytest.raises(DataError, match=r"input.outcomes \(--outcomes\) names 'Responce'"):
        prepare(small_customers(), config)


# --------------------------------------------------------------------------- detection by name


@pytest.mark.parametrize(
    "name",
    [
        "Response",
        "response",
        "RESPONDED",
        "AcceptedCmp1",
        "AcceptedCmp5",
        "accepted_offer",
        "Accepted",
        "converted",
        "Conversion",
        "churn",
        "Churned",
        "Complain",
        "complaints",
        "Complaint",
        "target",
        "Label",
        "y",
        "Y",
        "outcome",
        "subscribed",
        "is_churned",
        "IsChurned",
        "has_responded",
        "did_convert",
        "has_complained",
        "campaign_response",
        "last_campaign_converted",
        "Response (0/1)",
    ],
)
def test_outcome_names(name: str) -> None:
    assert looks_like_outcome_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "Income",
        "Recency",
        "target_age_group",
        "targeted",
        "response_time",
        "avg_response_time",
        "Responsiveness",
        "conversion_rate",
        "churn_risk",
        "churn_score_2023",
        "poutcome",
        "campaign",
        "previous",
        "labels_printed",
        "year",
        "y_coordinate",
        "NumWebVisitsMonth",
        "MntWines",
        "accepts_marketing",
        "is_active",
        "has_children",
        "complaint_count",
        "Kidhome",
        "Z_Revenue",
    ],
)
def test_ordinary_names_are_not_outcomes(name: str) -> None:
    assert not looks_like_outcome_name(name)


def test_outcome_named_text_that_is_not_yes_no_stays_a_feature() -> None:
    frame = pd.DataFrame(
        {
            "spend": np.arange(40, dtype=float),
            "label": ["gold", "silver", "bronze", "gold"] * 10,
            "target": ["yes", "no"] * 20,
        }
    )
    roles = roles_of(frame)
    assert roles["label"] == "categorical"
    assert roles["target"] == "outcome"
    assert roles_of(frame, {"input": {"exclude": ["target"]}})["target"] == "outcome"
    assert roles_of(frame, {"input": {"roles": {"target": "categorical"}}})["target"] == (
        "categorical"
    )


def test_listed_text_outcome_that_is_not_yes_no_is_not_profiled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    frame = pd.DataFrame({"label": ["gold", "silver"], "spend": [1.0, 2.0]})
    roles = {
        "label": ColumnRole("label", "outcome", "listed"),
        "spend": ColumnRole("spend", "numeric", "numbers"),
    }
    with caplog.at_level(logging.WARNING):
        outcomes = outcome_frame(frame, roles)
    assert outcomes.columns.tolist() == []
    assert "Outcome 'label' is not profiled" in caplog.text


# --------------------------------------------------------------------------- values and rules


def test_outcome_values() -> None:
    text = pd.Series([" Yes", "no", None, "TRUE", "f", "1", "n"])
    before = text.copy()
    assert outcome_values(text).tolist() == pytest.approx(  # type: ignore[union-attr]
        [1.0, 0.0, np.nan, 1.0, 0.0, 1.0, 0.0], nan_ok=True
    )
    pd.testing.assert_series_equal(text, before)  # input not modified
    nullable = pd.Series([True, None, False], dtype="boolean")
    assert outcome_values(nullable).tolist() == pytest.approx(  # type: ignore[union-attr]
        [1.0, np.nan, 0.0], nan_ok=True
    )
    assert outcome_values(pd.Series([0, 3, 5])).tolist() == [0.0, 3.0, 5.0]  # type: ignore[union-attr]
    assert outcome_values(pd.Series(["yes", "maybe"])) is None


def test_rules_read_outcome_lift() -> None:
    config = ProfilesConfig.model_validate(
        {
            "default_rules": False,
            "rules": [
                {
                    "name": "responders",
                    "when": [{"feature": "Response", "lift_above": 1.5}],
                    "action": "First in line for the next campaign.",
                },
                {
                    "name": "complainers",
                    "when": [{"feature": "Complain", "mean_above": 0.05}],
                    "action": "Call them first.",
                },
            ],
        }
    )
    facts = SegmentFacts(z={}, mean={}, outcomes={"Response": (0.3, 2.0), "Complain": (0.01, 1.0)})
    assert [name for name, _ in match_rules(facts, config)] == ["responders"]
    quiet = SegmentFacts(z={}, mean={}, outcomes={"Response": (0.1, 0.7)})
    assert match_rules(quiet, config) == []


def test_campaign_run_reads_as_words(campaign_run: CampaignRun) -> None:
    # Issue 16's acceptance on marketing_campaign: no raw column token in a segment name,
    # no "Tailor offers ... to 1 (kidhome)", and the spend columns make up the value.
    profiles = campaign_run.profiles
    for name in profiles["name"]:
        assert not re.search(r"\b(mnt|num|dt)\b", name, re.IGNORECASE), name
    for action in profiles["recommendation"]:
        assert not re.search(r"to -?\d+ \(", action), action
    # The value is found by name (the six Mnt* spend columns, summed): shares add to one.
    assert profiles["value_share"].sum() == pytest.approx(1.0)
