"""Tests for segmentkit.pipeline and end-to-end runs: flags, inputs, real datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from conftest import shared_dataset
from helpers import OutputFolder
from segmentkit.cli import main
from segmentkit.config import DEFAULT_METHODS, Config
from segmentkit.datasets import make_customers
from segmentkit.pipeline import SegmentationRun, run_segmentation


def run_and_read(input_path: Path, out: Path, *flags: str) -> OutputFolder:
    """``segmentkit run`` into ``out``, which must succeed; the folder read back."""
    code = main(["run", str(input_path), "--out", str(out), "-q", *flags])
    assert code == 0
    return OutputFolder(out)


@pytest.fixture(scope="module")
def customers_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "customers.csv"
    make_customers(600, n_segments=4, seed=1).frame.to_csv(path, index=False)
    return path


# --------------------------------------------------------------------------- run_segmentation


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, SegmentationRun]:
    data = make_customers(600, n_segments=4, seed=1)
    frame = data.frame
    before = frame.copy(deep=True)
    run = run_segmentation(frame, Config())
    return frame, data.labels, before, run


def test_input_not_modified(planted: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, Any]) -> None:
    frame, _, before, _ = planted
    pd.testing.assert_frame_equal(frame, before, check_exact=True)
    assert list(frame.dtypes) == list(before.dtypes)


def test_input_not_modified_when_cleaning_changes_things() -> None:
    """Header whitespace, numbers stored as text and an unusual index all get cleaned."""
    frame = make_customers(200, n_segments=3, seed=4).frame.rename(columns={"age": " age "})
    frame["annual_income"] = [f"${v:,.1f}" if pd.notna(v) else "" for v in frame["annual_income"]]
    frame.index = pd.RangeIndex(1000, 1200)
    before = frame.copy(deep=True)
    run = run_segmentation(frame, Config().with_overrides({"clustering.methods": ["kmeans"]}))
    pd.testing.assert_frame_equal(frame, before, check_exact=True)
    assert "annual_income" in run.prepared.numeric_features
    assert "age" in run.prepared.numeric_features


def test_planted_segments_recovered_by_run_segmentation(
    planted: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, SegmentationRun],
) -> None:
    _, labels, _, run = planted
    assert list(run.results) == list(DEFAULT_METHODS)
    assert run.results["kmeans"].params == {"k": 4}
    assert adjusted_rand_score(labels, run.results["kmeans"].labels) >= 0.9
    assert adjusted_rand_score(labels, run.labels) >= 0.9
    assert run.recommended in run.results
    assert set(run.timings) >= {"prepare", "profile"}


def test_run_segmentation_defaults_to_default_config() -> None:
    frame = make_customers(150, n_segments=2, seed=3, outlier_rate=0.0).frame
    run = run_segmentation(frame[["age", "annual_income", "spending_score"]])
    assert run.config == Config()
    assert run.source == {}


# --------------------------------------------------------------------------- CLI flags


def test_features_flag(customers_csv: Path, tmp_path: Path) -> None:
    out = run_and_read(
        customers_csv, tmp_path / "out", "--methods", "kmeans",
        "--features", "age, annual_income,spending_score",
    )  # fmt: skip
    assert out.run_json["config"]["input"]["features"] == ["age", "annual_income", "spending_score"]
    assert out.run_json["features"] == ["age", "annual_income", "spending_score"]
    assert set(out.run_json["model_features"]) == {"age", "annual_income", "spending_score"}
    assert "age_mean" in out.profiles.columns
    assert "tenure_months_mean" not in out.profiles.columns
    assert "region_top" not in out.profiles.columns
    # Unused columns are still carried through to segments.csv.
    assert {"tenure_months", "region"} <= set(out.segments.columns)


def test_exclude_flag(customers_csv: Path, tmp_path: Path) -> None:
    out = run_and_read(
        customers_csv, tmp_path / "out", "--methods", "kmeans",
        "--exclude", "gender,region,channel,tenure_months",
    )  # fmt: skip
    assert out.run_json["config"]["input"]["exclude"] == [
        "gender", "region", "channel", "tenure_months",
    ]  # fmt: skip
    assert out.run_json["features"] == [
        "age", "annual_income", "spending_score", "online_share", "orders_per_year",
        "avg_order_value",
    ]  # fmt: skip
    assert not any(c.startswith(("gender", "region")) for c in out.profiles.columns)


def test_id_column_flag(tmp_path: Path) -> None:
    frame = make_customers(300, n_segments=3, seed=3).frame.drop(columns="customer_id")
    frame.insert(0, "loyalty_points", np.arange(300) * 7 + 11)
    path = tmp_path / "no_id.csv"
    frame.to_csv(path, index=False)

    without = run_and_read(path, tmp_path / "without", "--methods", "kmeans", "--k", "3")
    assert "loyalty_points" in without.run_json["features"]

    out = run_and_read(
        path, tmp_path / "with", "--methods", "kmeans", "--k", "3",
        "--id-column", "loyalty_points",
    )  # fmt: skip
    assert out.run_json["config"]["input"]["id_column"] == "loyalty_points"
    assert out.run_json["columns"]["loyalty_points"]["role"] == "id"
    assert "loyalty_points" not in out.run_json["features"]
    assert out.segments.columns[0] == "loyalty_points"
    assert out.segments["loyalty_points"].tolist() == frame["loyalty_points"].tolist()


def test_methods_k_and_seed_flags(customers_csv: Path, tmp_path: Path) -> None:
    out = run_and_read(
        customers_csv, tmp_path / "out", "--methods", "kmeans", "--k", "3", "--seed", "7"
    )
    config = out.run_json["config"]
    assert config["clustering"]["methods"] == ["kmeans"]
    assert config["clustering"]["k"] == 3
    assert config["seed"] == 7
    assert out.run_json["seed"] == 7
    assert out.comparison["method"].tolist() == ["kmeans"]
    assert out.comparison["param_k"].tolist() == [3]
    assert out.k_selection["k"].tolist() == [3]
    assert out.k_selection["chosen"].tolist() == [True]
    assert sorted(out.segments["segment"].unique()) == [0, 1, 2]
    expected = [0, 1, 2, -2] if out.segments["is_outlier"].any() else [0, 1, 2]
    assert out.profiles["segment"].tolist() == expected
    assert [c for c in out.segments.columns if c.startswith("segment_")] == [
        "segment_name",
        "segment_kmeans",
    ]


def test_config_file_and_flags_combine(customers_csv: Path, tmp_path: Path) -> None:
    config = tmp_path / "segmentkit.json"
    config.write_text(
        json.dumps({"seed": 3, "clustering": {"methods": ["kmeans"], "k_min": 3, "k_max": 5}}),
        encoding="utf-8",
    )
    out = run_and_read(customers_csv, tmp_path / "out", "--config", str(config), "--seed", "11")
    assert out.run_json["seed"] == 11  # the flag wins over the file
    assert out.run_json["config"]["clustering"]["k_max"] == 5
    assert out.k_selection["k"].tolist() == [3, 4, 5]


# --------------------------------------------------------------------------- real datasets


def test_mall_customers_five_groups(tmp_path: Path, mall_csv: Path) -> None:
    out = run_and_read(
        mall_csv, tmp_path / "out", "--features", "Annual Income (k$),Spending Score (1-100)",
    )  # fmt: skip
    recommended = out.run_json["recommended"]["method"]
    comparison = out.comparison.set_index("method")
    assert comparison.loc[recommended, "param_k"] == 5
    assert sorted(out.segments["segment"].value_counts()) == [22, 23, 35, 39, 81]
    assert len(out.segments) == 200
    assert out.segments.columns[0] == "CustomerID"


@pytest.fixture(scope="module")
def cc_general(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, OutputFolder]:
    path = shared_dataset("cc_general/CC GENERAL.csv")
    # K-Means only: the assertions do not depend on the method, and the other methods
    # take minutes on 8,950 rows.
    out = run_and_read(path, tmp_path_factory.mktemp("cc") / "out", "--methods", "kmeans")
    return path, out


@pytest.mark.slow
def test_cc_general_every_customer_gets_a_segment(cc_general: tuple[Path, OutputFolder]) -> None:
    path, out = cc_general
    original = pd.read_csv(path)
    segments = out.segments
    assert len(segments) == 8950
    assert segments.columns[0] == "CUST_ID"
    assert segments["CUST_ID"].tolist() == original["CUST_ID"].tolist()
    assert segments["segment"].notna().all()
    n_segments = int(out.comparison.loc[0, "n_segments"])
    sizes = segments["segment"].value_counts()
    assert sorted(sizes.index) == list(range(n_segments))
    assert (sizes > 0).all()
    assert (out.profiles["size"] > 0).all()


@pytest.mark.slow
def test_cc_general_missing_values_reported(cc_general: tuple[Path, OutputFolder]) -> None:
    _, out = cc_general
    summary = out.run_json
    assert summary["rows"]["read"] == 8950
    assert summary["rows"]["kept"] == 8950
    assert summary["rows"]["dropped"] == {}
    filled = {s["column"]: s["rows"] for s in summary["cleaning"] if s["rule"] == "missing"}
    assert filled == {"MINIMUM_PAYMENTS": 313, "CREDIT_LIMIT": 1}
    assert summary["columns"]["CUST_ID"]["role"] == "id"
    # Profiles describe the data as read: missing cells are not counted as the fill value.
    profiles = out.profiles
    segments = out.segments
    group = segments["segment"].where(~segments["is_outlier"], -2)
    for _, row in profiles.iterrows():
        part = segments.loc[group == row["segment"], "MINIMUM_PAYMENTS"]
        assert row["MINIMUM_PAYMENTS_mean"] == pytest.approx(part.mean(), rel=1e-9)
