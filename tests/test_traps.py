"""The small traps of issue 16, each reproduced as first reported, then fixed.

1. ``--k`` beyond what the customers hold exited 0 after skipping methods; ``--k`` with
   DBSCAN was ignored without a word.
2. ``--previous`` accepted a run on unrelated data.
3. The terminal table and ``segments.csv`` counted a segment's customers differently.
4. Log lines named temporary folders; "1 segments"; years as "1,970"; a message logged
   twice; ``with_overrides`` hid its problem in ``.problems``.
5. ``--k-min`` / ``--k-max`` were config-only; no quick run without figures.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from conftest import shared_dataset
from helpers import RunCli, error_lines, read_run_json
from segmentkit.cli import main
from segmentkit.config import ClusteringConfig, Config
from segmentkit.datasets import make_customers
from segmentkit.describe.segment_counts import segment_counts, summary_sizes
from segmentkit.describe.terminal_view import ProfileView, load_profile_view, render_profile_view
from segmentkit.errors import ConfigError
from segmentkit.methods import METHODS, SearchContext, run_method
from segmentkit.methods.base import check_fixed_k
from segmentkit.report.view_model import load_report_model
from segmentkit.text import format_figure, is_year_column, plural

WHOLESALE = "wholesale_customers/Wholesale customers data.csv"
FAST = ("--methods", "kmeans", "--k", "3", "--no-figures", "-q")


@pytest.fixture(scope="module")
def customers_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 synthetic customers with planted outliers and a birth-year column."""
    frame = make_customers(300, n_segments=3, seed=4, outlier_rate=0.03).frame
    rng = np.random.default_rng(0)
    frame["Year_Birth"] = rng.integers(1940, 2001, len(frame))
    path = tmp_path_factory.mktemp("traps") / "customers.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def quick_run(customers_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A K-Means run without figures: the folder most tests below read."""
    out = tmp_path_factory.mktemp("quick") / "out"
    assert main(["run", str(customers_csv), "--out", str(out), *FAST]) == 0
    return out


# ----------------------------------------------------------------- 1. --k and what holds it


def test_k_beyond_the_customers_is_a_usage_error(
    tmp_path: Path, run_cli: RunCli, mall_csv: Path
) -> None:
    # Reported: exit 0 after "kmeans skipped", "agglomerative skipped", "gmm skipped".
    code, out, err = run_cli("run", mall_csv, "--k", "500", "--out", tmp_path / "out")
    assert code == 2, err
    assert error_lines(err) == [
        "error: asked for 500 segments but only 200 customers are in the data: there must "
        "be fewer segments than customers (use --k 199 or less)"
    ]
    assert err.strip().splitlines()[-1].startswith("error:")
    assert "skipped" not in err and "Traceback" not in err
    assert out == ""
    assert not (tmp_path / "out").exists()


def test_k_beyond_the_customers_who_shape_the_segments() -> None:
    X = np.random.default_rng(1).normal(size=(20, 2))
    fit_mask = np.ones(20, dtype=bool)
    fit_mask[:3] = False  # three flagged outliers set aside
    clustering = ClusteringConfig(k=18, methods=["kmeans", "dbscan"])
    with pytest.raises(ConfigError) as info:
        check_fixed_k(X, fit_mask, clustering)
    assert str(info.value) == (
        "asked for 18 segments but only 17 customers (3 outliers set aside) shape the "
        "segments (use --k 16 or less)"
    )
    assert info.value.exit_code == 2
    check_fixed_k(X, fit_mask, ClusteringConfig(k=16, methods=["kmeans"]))


def test_k_is_not_bounded_by_outliers_for_dbscan_alone(caplog: pytest.LogCaptureFixture) -> None:
    X = np.random.default_rng(1).normal(size=(20, 2))
    fit_mask = np.arange(20) >= 3
    with caplog.at_level(logging.WARNING, logger="segmentkit"):
        check_fixed_k(X, fit_mask, ClusteringConfig(k=18, methods=["dbscan"]))
    with pytest.raises(ConfigError, match="are in the data"):
        check_fixed_k(X, fit_mask, ClusteringConfig(k=20, methods=["dbscan"]))


@pytest.mark.parametrize("methods", ["dbscan", "kmeans,dbscan"])
def test_k_with_dbscan_says_it_is_ignored_once(
    methods: str, tmp_path: Path, run_cli: RunCli, mall_csv: Path
) -> None:
    out = tmp_path / "out"
    code, _, err = run_cli("run", mall_csv, "--k", "5", "--methods", methods, "--no-figures",
                       "--out", out)  # fmt: skip
    assert code == 0, err
    warning = (
        "dbscan chooses its own number of segments; "
        "--k applies to kmeans, gmm, agglomerative, genie"
    )
    assert err.count(warning) == 1, err
    summary = read_run_json(out)
    if "kmeans" in methods:
        assert summary["methods"]["kmeans"]["params"] == {"k": 5}
    assert "k" not in summary["methods"]["dbscan"]["params"]


# ------------------------------------------------------------- 2. --previous on other data


def test_previous_run_on_unrelated_data_is_refused(
    tmp_path: Path, run_cli: RunCli, mall_csv: Path
) -> None:
    wholesale = shared_dataset(WHOLESALE)
    code, _, err = run_cli("run", mall_csv, *FAST, "--out", tmp_path / "mall")
    assert code == 0, err
    # Reported: 0 segments kept, 36 "customers in both" by coincidental ids.
    code, out, err = run_cli("run", wholesale, *FAST, "--previous", tmp_path / "mall",
                         "--out", tmp_path / "wholesale")  # fmt: skip
    assert code == 1, err
    lines = error_lines(err)
    assert len(lines) == 1
    assert lines[0].startswith(
        f"error: --previous {tmp_path / 'mall'} segmented other data: it shares no feature "
        "with this run (then: Genre, Age, Annual Income (k$), Spending Score (1-100); now: "
    )
    assert out == ""
    assert not (tmp_path / "wholesale").exists()


# ----------------------------------------------------- 3. counts as segments.csv has them


def test_terminal_and_report_count_customers_as_segments_csv(quick_run: Path) -> None:
    segments = pd.read_csv(quick_run / "segments.csv")
    in_file = segments["segment"].value_counts().to_dict()
    outliers = segments.groupby("segment")["is_outlier"].sum().to_dict()
    assert sum(outliers.values()) > 0, "the fixture must have outliers for this test"

    view = load_profile_view(quick_run)
    counts = segment_counts(view.profiles, view.sizes)
    for segment, count in counts.items():
        if segment >= 0:
            assert count.customers == in_file[segment]
            # Reported: the table showed the profile size, outliers left out.
            assert count.unusual == outliers[segment]
    assert counts[-2].customers == sum(outliers.values())
    assert counts[-2].counted_elsewhere

    console = Console(width=200, record=True)
    console.print(render_profile_view(view))
    text = console.export_text()
    assert "incl." in text and "unusual" in text
    assert "Customers: as in segments.csv" in text

    report = load_report_model(quick_run)
    shown = {s.segment: s.size for s in report.segments}
    assert {s: shown[s] for s in in_file} == in_file
    noted = [s for s in report.segments if s.segment >= 0 and outliers[s.segment]]
    assert all("unusual" in s.count_note for s in noted)
    table = {int(row["segment"]): row["size"] for row in report.methods[0].segments}
    assert all(table[s].split()[0] == f"{n:,}" for s, n in in_file.items())


def test_sizes_of_a_dask_folder_are_the_sample_ones() -> None:
    entry = {"segment_sizes": {"0": 900, "1": 100}, "sample_segment_sizes": {"0": 90, "1": 10}}
    assert summary_sizes(entry) == {0: 90, 1: 10}
    assert summary_sizes({}) is None


# ------------------------------------------------------------------ 4. words and numbers


def test_log_names_the_final_folder_not_the_temporary_one(
    customers_csv: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    out = tmp_path / "out"
    code, _, err = run_cli("run", customers_csv, "--methods", "kmeans", "--k", "3",
                       "--out", out)  # fmt: skip
    assert code == 0, err
    # Reported: "Wrote 8 figures to /…/.out.tmp-b22ed437/plots".
    assert ".tmp-" not in err
    assert f"figures to {out / 'plots'}" in err
    assert f"Report written to {out / 'report.html'}" in err
    assert ".tmp-" not in (out / "run.log").read_text(encoding="utf-8")


def test_one_segment_is_singular() -> None:
    profiles = pd.DataFrame(
        {
            "segment": [0],
            "name": ["Everyone"],
            "size": [10],
            "share": [1.0],
            "key_figures": [""],
            "drivers": [""],
            "recommendation": [""],
        }
    )
    view = ProfileView("dbscan", "dbscan", 1, profiles, pd.DataFrame(), None)
    console = Console(width=120, record=True)
    console.print(render_profile_view(view))
    # Singular, and not called a recommendation: one segment splits no one.
    assert console.export_text().splitlines()[0] == (
        "1 segment by dbscan (not a usable segmentation: customers are not split)"
    )
    assert plural(1, "customer") == "1 customer"
    assert plural(2, "customer") == "2 customers"


def test_years_print_without_a_thousands_separator(quick_run: Path) -> None:
    assert is_year_column("Year_Birth")
    assert is_year_column("joined", np.array([1998.0, 2004.0, np.nan]))
    assert not is_year_column("annual_spend", np.array([1500.0, 2500.0]))
    assert format_figure(1970.4, year=True) == "1970"
    report = load_report_model(quick_run)
    rows = [r for s in report.segments for r in s.numeric if r["feature"] == "Year_Birth"]
    assert rows
    # Reported: "1,970".
    assert all("," not in r[key] for r in rows for key in ("mean", "median", "min", "max"))


def test_every_candidate_degenerate_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    X = np.random.default_rng(0).normal(size=(400, 2))
    clustering = Config().with_overrides({"clustering.dbscan.max_noise_share": 0.01}).clustering
    context = SearchContext(seed=0, n_jobs=1, clustering=clustering)
    with caplog.at_level(logging.DEBUG, logger="segmentkit"):
        result = run_method(METHODS["dbscan"], X, context)
    assert "every candidate was degenerate" in result.choice_summary
    messages = [r.getMessage() for r in caplog.records]
    assert sum("every candidate was degenerate" in m for m in messages) == 1, messages


def test_with_overrides_names_the_problem_in_its_message() -> None:
    with pytest.raises(ConfigError) as info:
        Config().with_overrides({"clustering.k_maxx": 3})
    # Reported once: "1 invalid setting(s)", the problem only in .problems.
    assert "clustering.k_maxx: unknown key" in str(info.value)
    assert info.value.problems == [
        "clustering.k_maxx: unknown key (check the spelling; see `segmentkit config schema`)"
    ]
    with pytest.raises(ConfigError, match="clustring: unknown key"):
        Config().with_overrides({"clustring.k": 3})  # a misspelt section: no KeyError


# ------------------------------------------------------- 5. --k-min/--k-max, --no-figures


def test_k_range_flags_cap_the_search(customers_csv: Path, tmp_path: Path, run_cli: RunCli) -> None:
    out = tmp_path / "out"
    code, _, err = run_cli("run", customers_csv, "--methods", "kmeans", "--k-min", "3",
                       "--k-max", "4", "--no-figures", "--out", out)  # fmt: skip
    assert code == 0, err
    tried = pd.read_csv(out / "k_selection.csv")["k"].tolist()
    assert tried == [3, 4]  # never widened past --k-max
    config = read_run_json(out)["config"]
    assert (config["clustering"]["k_min"], config["clustering"]["k_max"]) == (3, 4)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--k", "3", "--k-min", "4"), "error: --k 3 is outside the range --k-min 4"),
        (("--k", "9", "--k-min", "2", "--k-max", "6"), "error: --k 9 is outside the range"),
        (("--k-min", "6", "--k-max", "4"), "error: --k-min 6 is above --k-max 4"),
        (("--k-min", "12",), "error: --k-min 12 is above the largest number of segments"),
        (("--k-min", "1",), "error: clustering.k_min: Input should be greater than or equal"),
    ],
)  # fmt: skip
def test_inconsistent_k_flags_are_usage_errors(
    flags: tuple[str, ...], message: str, tmp_path: Path, run_cli: RunCli
) -> None:
    # The file does not exist: the flags are refused before any data is read.
    code, _, err = run_cli("run", tmp_path / "absent.csv", *flags, "--out", tmp_path / "o")
    assert code == 2, err
    assert error_lines(err)[0].startswith(message), err
    assert "not found" not in err
    assert list(tmp_path.iterdir()) == []


def test_no_figures_writes_everything_else(
    quick_run: Path, customers_csv: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    assert not (quick_run / "report.html").exists()
    assert [p.name for p in (quick_run / "plots").iterdir()] == ["scatter_points.csv"]
    for name in ("segments.csv", "segment_profiles.csv", "model.skops", "run.log"):
        assert (quick_run / name).is_file(), name
    assert read_run_json(quick_run)["figures"] is False

    out = tmp_path / "out"
    code, stdout, err = run_cli("run", customers_csv, *FAST, "--out", out)
    assert code == 0, err
    assert f"Report: skipped (--no-figures); render it with: segmentkit report {out}" in stdout
    # The report renders later from the folder, without refitting.
    code, stdout, err = run_cli("report", out)
    assert code == 0, err
    assert (out / "report.html").stat().st_size > 100_000
