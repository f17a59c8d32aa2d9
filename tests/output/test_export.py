"""The output contract: the files ``segmentkit run`` writes and what scripts can rely on.

One run of the CLI on 600 synthetic customers with four planted segments (module
fixture) is checked file by file against the README's "Outputs" section.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from helpers import OutputFolder
from segmentkit import __version__
from segmentkit.cli import main
from segmentkit.config import Config
from segmentkit.datasets import make_customers
from segmentkit.output.export import segments_table
from segmentkit.pipeline import run_segmentation

N_ROWS = 600
CSV_FILES = ("segments.csv", "segment_profiles.csv", "k_selection.csv", "method_comparison.csv")


@dataclass(frozen=True)
class Contract:
    input_path: Path
    out: Path
    labels: np.ndarray
    inputs: pd.DataFrame  # the input CSV as pandas reads it
    segments: pd.DataFrame
    profiles: pd.DataFrame
    k_selection: pd.DataFrame
    comparison: pd.DataFrame
    run_json: dict[str, Any]


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    folder = tmp_path_factory.mktemp("contract")
    data = make_customers(N_ROWS, n_segments=4, seed=1)
    input_path = folder / "customers.csv"
    data.frame.to_csv(input_path, index=False)
    out = folder / "out"
    assert main(["run", str(input_path), "--out", str(out), "-q"]) == 0
    output = OutputFolder(out)
    return Contract(
        input_path=input_path,
        out=out,
        labels=data.labels,
        inputs=pd.read_csv(input_path),
        segments=output.segments,
        profiles=output.profiles,
        k_selection=output.k_selection,
        comparison=output.comparison,
        run_json=output.run_json,
    )


def methods_of(contract: Contract) -> list[str]:
    return list(contract.run_json["config"]["clustering"]["methods"])


# --------------------------------------------------------------------------- the folder


def test_every_contract_file_is_written(contract: Contract) -> None:
    names = {p.name for p in contract.out.iterdir()}
    assert {*CSV_FILES, "run.json", "run.log"} <= names
    assert "dropped_rows.csv" not in names  # nothing was dropped
    # No temporary or previous-output siblings are left next to the folder.
    assert sorted(p.name for p in contract.out.parent.iterdir()) == ["customers.csv", "out"]


def test_csv_files_are_utf8_with_newline_endings(contract: Contract) -> None:
    for name in CSV_FILES:
        raw = (contract.out / name).read_bytes()
        raw.decode("utf-8")
        assert b"\r" not in raw, name
        assert raw.endswith(b"\n"), name


def test_run_log_has_the_full_log(contract: Contract) -> None:
    text = (contract.out / "run.log").read_text(encoding="utf-8")
    assert "Stage prepare: started" in text
    assert re.search(r"Stage profile done in [\d.]+ s \(\d+ of \d+, ", text)
    assert "Rows: 600 read, 600 kept" in text


# --------------------------------------------------------------------------- segments.csv


def test_segments_one_row_per_input_row_in_input_order(contract: Contract) -> None:
    segments, inputs = contract.segments, contract.inputs
    assert len(segments) == N_ROWS
    assert segments.columns[0] == "customer_id"
    assert segments["customer_id"].tolist() == inputs["customer_id"].tolist()


def test_segments_columns(contract: Contract) -> None:
    columns = list(contract.segments.columns)
    n = len(contract.inputs.columns)
    assert columns[:n] == list(contract.inputs.columns)
    assert columns[n : n + 2] == ["segment", "segment_name"]
    method_columns = [
        c
        for c in columns
        if c.startswith("segment_") and c not in ("segment_name", "segment_alternative")
    ]
    assert method_columns == [f"segment_{m}" for m in methods_of(contract)]
    assert "is_outlier" in columns


def test_segments_keep_the_original_values(contract: Contract) -> None:
    original = contract.segments[list(contract.inputs.columns)]
    pd.testing.assert_frame_equal(original, contract.inputs)


def test_segment_is_the_recommended_method(contract: Contract) -> None:
    segments = contract.segments
    recommended = contract.run_json["recommended"]["method"]
    assert recommended in methods_of(contract)
    assert (segments["segment"] == segments[f"segment_{recommended}"]).all()
    flagged = contract.comparison.loc[contract.comparison["recommended"], "method"]
    assert flagged.tolist() == [recommended]
    # segment_name is the profile name of the segment.
    profiles = contract.profiles[contract.profiles["method"] == recommended]
    names = dict(zip(profiles["segment"], profiles["name"], strict=True))
    assert segments["segment_name"].tolist() == [names[s] for s in segments["segment"]]


def test_segment_labels_are_integers_with_minus_one_for_noise(contract: Contract) -> None:
    for method in methods_of(contract):
        labels = contract.segments[f"segment_{method}"]
        assert labels.dtype.kind == "i", method
        assert labels.min() >= -1, method
        n_segments = contract.run_json["methods"][method]["n_segments"]
        assert sorted(set(labels) - {-1}) == list(range(n_segments)), method


def test_is_outlier_matches_run_json(contract: Contract) -> None:
    flags = contract.segments["is_outlier"]
    assert flags.dtype == bool
    assert int(flags.sum()) == contract.run_json["rows"]["outliers"]
    assert 0 < flags.sum() < 0.1 * N_ROWS  # make_customers plants 1% outliers


def test_planted_segments_are_recovered(contract: Contract) -> None:
    assert contract.segments["segment"].nunique() == 4
    ari = adjusted_rand_score(contract.labels, contract.segments["segment"])
    assert ari >= 0.9


# --------------------------------------------------------------------------- segment_profiles.csv


def profile_group(segments: pd.DataFrame, method: str) -> pd.Series:
    """The profile each customer is described in: segment, -1 noise or -2 outlier."""
    labels = segments[f"segment_{method}"]
    return labels.where(~(segments["is_outlier"] & (labels >= 0)), -2)


def test_profile_sizes_and_shares(contract: Contract) -> None:
    assert contract.segments["is_outlier"].any()  # the -2 profile is exercised
    for method, table in contract.profiles.groupby("method", sort=False):
        assert int(table["size"].sum()) == N_ROWS, method
        assert table["share"].sum() == pytest.approx(1.0, abs=1e-12), method
        np.testing.assert_allclose(table["share"], table["size"] / N_ROWS, rtol=1e-12)
        counts = profile_group(contract.segments, method).value_counts()
        assert dict(zip(table["segment"], table["size"], strict=True)) == counts.to_dict()
        assert table["name"].is_unique, method
        unusual = table.loc[table["segment"] == -2, "name"]
        # Named by what they are (no value column here: by their strongest features).
        assert len(unusual) == 1, method
        assert unusual.iloc[0].startswith("Unusual customers (outliers)"), method
    assert list(contract.profiles["method"].unique()) == methods_of(contract)


def test_segment_zero_is_the_largest(contract: Contract) -> None:
    for method in methods_of(contract):
        sizes = contract.segments[f"segment_{method}"].value_counts()
        real = sizes[sizes.index >= 0].sort_index()
        assert real.is_monotonic_decreasing, method


@pytest.mark.parametrize("feature", ["age", "annual_income", "avg_order_value"])
def test_profile_statistics_equal_hand_computed_ones(contract: Contract, feature: str) -> None:
    # Join the assignments back to the input by id and recompute by hand.
    joined = contract.inputs.merge(
        contract.segments[["customer_id", "segment", "is_outlier"]],
        on="customer_id",
        validate="one_to_one",
    )
    assert len(joined) == N_ROWS
    # Outliers are described in their own profile (-2), not in their segment's.
    joined["segment"] = joined["segment"].where(~joined["is_outlier"], -2)
    by_hand = joined.groupby("segment")[feature]
    recommended = contract.run_json["recommended"]["method"]
    table = contract.profiles[contract.profiles["method"] == recommended].set_index("segment")
    for segment, values in by_hand:
        assert table.loc[segment, f"{feature}_mean"] == pytest.approx(values.mean(), rel=1e-12)
        assert table.loc[segment, f"{feature}_median"] == pytest.approx(values.median())
        assert table.loc[segment, f"{feature}_min"] == values.min()
        assert table.loc[segment, f"{feature}_max"] == values.max()


def test_profile_top_category(contract: Contract) -> None:
    recommended = contract.run_json["recommended"]["method"]
    table = contract.profiles[contract.profiles["method"] == recommended].set_index("segment")
    recommended_group = profile_group(contract.segments, recommended)
    overall = contract.segments["region"].value_counts(normalize=True)
    for segment, part in contract.segments.groupby(recommended_group):
        shares = part["region"].value_counts(normalize=True)
        top = table.loc[segment, "region_top"]
        assert table.loc[segment, "region_top_lift"] == pytest.approx(shares[top] / overall[top])
        assert table.loc[segment, "region_top_share"] == pytest.approx(shares.iloc[0])
        assert shares[table.loc[segment, "region_top"]] == pytest.approx(shares.iloc[0])


# --------------------------------------------------------------------------- selection tables


def test_k_selection_candidates_and_choice(contract: Contract) -> None:
    k_selection, comparison = contract.k_selection, contract.comparison
    assert list(k_selection["method"].unique()) == methods_of(contract)
    for method, rows in k_selection.groupby("method", sort=False):
        assert int(rows["chosen"].sum()) == 1, method
        if rows["k"].notna().all():  # methods that search the number of segments
            # k_min..k_max; Genie's separation drop also tries k_max + 1 to judge k_max.
            top = 11 if method == "genie" else 10
            assert sorted(set(rows["k"].astype(int))) == list(range(2, top + 1)), method
    kmeans = k_selection[k_selection["method"] == "kmeans"]
    assert kmeans["k"].tolist() == list(range(2, 11))  # one row per k
    for column in ("inertia", "silhouette", "calinski_harabasz", "davies_bouldin"):
        assert kmeans[column].notna().all(), column
    assert kmeans["silhouette"].between(-1, 1).all()
    assert (kmeans["davies_bouldin"] >= 0).all()
    # The chosen candidate is the method's chosen parameter set (the finer alternative,
    # when there is one, is not a candidate of the search).
    for _, row in comparison[~comparison["alternative"].astype(bool)].iterrows():
        chosen = k_selection[(k_selection["method"] == row["method"]) & k_selection["chosen"]]
        assert len(chosen) == 1
        for column in comparison.columns:
            if column.startswith("param_") and pd.notna(row[column]):
                assert chosen.iloc[0][column.removeprefix("param_")] == row[column], column


def test_method_comparison(contract: Contract) -> None:
    comparison = contract.comparison
    comparison = comparison[~comparison["alternative"].astype(bool)].set_index("method")
    assert list(comparison.index) == methods_of(contract)
    assert int(comparison["recommended"].sum()) == 1
    kmeans = comparison.loc["kmeans"]
    assert kmeans["param_k"] == 4
    assert kmeans["n_segments"] == 4
    assert kmeans["noise_share"] == 0.0
    chosen = contract.k_selection[
        (contract.k_selection["method"] == "kmeans") & contract.k_selection["chosen"]
    ]
    assert chosen["k"].tolist() == [kmeans["param_k"]]
    for method, row in comparison.iterrows():
        assert row["n_segments"] == contract.run_json["methods"][method]["n_segments"]
        labels = contract.segments[f"segment_{method}"]
        assert row["noise_share"] == pytest.approx((labels == -1).mean()), method


# --------------------------------------------------------------------------- run.json


def test_feature_importance_groups_extend_the_contract(contract: Contract) -> None:
    table = pd.read_csv(contract.out / "feature_importance.csv")
    # The original columns first and unchanged, the group columns added after them.
    assert list(table.columns) == [
        "method", "feature", "rf_importance", "permutation_mean", "permutation_std",
        "surrogate_accuracy", "n_train", "n_test",
        "feature_group", "group_permutation_mean", "group_permutation_std",
    ]  # fmt: skip
    for method, rows in table.groupby("method", sort=False):
        assert sorted(rows["feature"]) == sorted(contract.run_json["features"])
        for label, members in rows.groupby("feature_group", sort=False):
            # Every member is named in its group's label, and the group numbers repeat.
            assert sorted(label.split(" + ")) == sorted(members["feature"]), method
            assert members["group_permutation_mean"].nunique() == 1
            assert members["group_permutation_std"].nunique() == 1
            if len(members) == 1:
                row = members.iloc[0]
                assert row["group_permutation_mean"] == row["permutation_mean"]
    # Groups of correlated features are the same for every method (one seeded sample).
    labels = {m: frozenset(r["feature_group"]) for m, r in table.groupby("method")}
    assert len(set(labels.values())) == 1
    # The ranking: group importance never increases down a method's rows.
    for _, rows in table.groupby("method"):
        assert np.all(np.diff(rows["group_permutation_mean"].to_numpy()) <= 1e-12)


def test_run_json_identity_and_input(contract: Contract) -> None:
    summary = contract.run_json
    assert summary["segmentkit_version"] == __version__
    assert summary["seed"] == 0
    digest = hashlib.sha256(contract.input_path.read_bytes()).hexdigest()
    assert summary["input"]["sha256"] == digest
    assert summary["input"]["format"] == "csv"
    assert summary["input"]["rows"] == N_ROWS
    assert summary["input"]["columns"] == 11


def test_run_json_row_counts(contract: Contract) -> None:
    rows = contract.run_json["rows"]
    assert rows["read"] == N_ROWS
    assert rows["kept"] == N_ROWS
    assert rows["dropped"] == {}
    assert rows["outliers"] == int(contract.segments["is_outlier"].sum())
    assert rows["fit"] == N_ROWS - rows["outliers"]


def test_run_json_config_is_resolved_with_defaults(contract: Contract) -> None:
    assert contract.run_json["config"] == Config().to_dict()


def test_run_json_timings_and_versions(contract: Contract) -> None:
    timings = contract.run_json["timings_seconds"]
    expected = {"prepare", "profile", *(f"segment:{m}" for m in methods_of(contract))}
    assert expected <= set(timings)
    assert all(isinstance(v, float) and v >= 0 for v in timings.values())
    versions = contract.run_json["library_versions"]
    assert versions["segmentkit"] == __version__
    for name in ("numpy", "pandas", "scikit-learn", "scipy", "pydantic"):
        assert versions[name] == version(name), name


def test_run_json_methods(contract: Contract) -> None:
    methods = contract.run_json["methods"]
    assert list(methods) == methods_of(contract)
    assert methods["kmeans"]["params"] == {"k": 4}
    for method, info in methods.items():
        counts = contract.segments[f"segment_{method}"].value_counts()
        assert info["segment_sizes"] == {str(k): int(v) for k, v in counts.items()}, method


def test_run_json_columns_and_features(contract: Contract) -> None:
    summary = contract.run_json
    assert summary["columns"]["customer_id"]["role"] == "id"
    assert summary["columns"]["age"]["role"] == "numeric"
    assert summary["columns"]["region"]["role"] == "categorical"
    assert "customer_id" not in summary["features"]
    assert set(summary["features"]) == set(contract.inputs.columns) - {"customer_id"}
    missing = {s["column"]: s["rows"] for s in summary["cleaning"] if s["rule"] == "missing"}
    assert missing == {
        c: int(contract.inputs[c].isna().sum())
        for c in contract.inputs.columns
        if contract.inputs[c].isna().any()
    }


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_byte_identical_outputs(
    contract: Contract, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "again"
    assert main(["run", str(contract.input_path), "--out", str(out), "-q"]) == 0
    capsys.readouterr()
    for name in CSV_FILES:
        assert (out / name).read_bytes() == (contract.out / name).read_bytes(), name


# --------------------------------------------------------------------------- segments_table


def test_id_column_comes_first_even_when_it_is_not_first_in_the_input() -> None:
    frame = make_customers(200, n_segments=3, seed=5).frame
    frame = frame[[*frame.columns[1:], "customer_id"]]  # id last
    config = Config().with_overrides({"clustering.methods": ["kmeans"], "clustering.k": 3})
    table = segments_table(run_segmentation(frame, config))
    assert table.columns[0] == "customer_id"
    assert list(table.columns).count("customer_id") == 1
    assert table["customer_id"].tolist() == frame["customer_id"].tolist()


def test_row_number_is_the_id_when_there_is_no_id_column() -> None:
    frame = make_customers(200, n_segments=3, seed=5).frame.drop(columns="customer_id")
    config = Config().with_overrides({"clustering.methods": ["kmeans"], "clustering.k": 3})
    table = segments_table(run_segmentation(frame, config))
    assert table.columns[0] == "row"
    assert table["row"].tolist() == list(range(1, 201))
    assert list(table.columns[1 : 1 + len(frame.columns)]) == list(frame.columns)
