"""Reproducibility: the same input, configuration and seed give byte-identical outputs.

All four methods on 500 synthetic customers (README "Reproducibility"): run ``A`` with
flags, run ``B`` with ``--config`` set to ``A``'s recorded configuration (the same
resolved configuration, which is what ``run.json`` promises to be enough to repeat a
run), and run ``C`` on two threads instead of one.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from threadpoolctl import threadpool_info

import segmentkit.pipeline
from helpers import RunCli, invoke_cli, read_run_json
from segmentkit import __version__
from segmentkit.config import parse_config
from segmentkit.datasets import make_customers
from segmentkit.errors import ConfigError
from segmentkit.output.export import feature_importance_table, k_selection_table
from segmentkit.output.write import write_csv
from segmentkit.pipeline import effective_jobs, run_segmentation
from segmentkit.sources.read import read_table

N_ROWS = 500
# Every method and figure, with a smaller search (fewer GMM candidates, resamples and
# trees) to keep the three full runs, one of them on two threads, within a minute.
LIGHT = {
    "clustering": {
        "k_max": 6,
        "gmm": {"covariance_types": ["full", "diag"], "n_init": 1},
        "stability": {"n_resamples": 3},
    },
    "explain": {"n_estimators": 50, "n_repeats": 2},
    # Every method's PNGs, so that every figure's bytes are compared.
    "report": {"figures": "all"},
}
METHODS = ["kmeans", "agglomerative", "gmm", "dbscan", "genie"]
REPRODUCIBLE = (
    "segments.csv",
    "segment_profiles.csv",
    "method_comparison.csv",
    "k_selection.csv",
    "feature_importance.csv",
    "segment_rules.csv",
    "segment_rules.sql",
    "plots/scatter_points.csv",
    "model.skops",
)


@dataclass(frozen=True)
class Run:
    out: Path
    threads: dict[str, int]  # thread pool (openmp, blas) -> threads while the run ran

    def run_json(self) -> dict[str, Any]:
        return read_run_json(self.out)

    def files(self) -> list[str]:
        """The files that must be byte-identical, PNGs included."""
        pngs = sorted(str(p.relative_to(self.out)) for p in (self.out / "plots").glob("*.png"))
        return [*REPRODUCIBLE, *pngs]


def run_counting_threads(input_path: Path, out: Path, *flags: str) -> Run:
    """Run the CLI in-process and record the thread pools' sizes inside the run."""
    seen: dict[str, int] = {}
    real: Callable[..., Any] = segmentkit.pipeline._run_segmentation

    def spy(*args: Any, **kwargs: Any) -> Any:
        for pool in threadpool_info():
            seen[pool["user_api"]] = max(seen.get(pool["user_api"], 0), pool["num_threads"])
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(segmentkit.pipeline, "_run_segmentation", spy)
        result = invoke_cli("run", input_path, *flags, "-q", "--out", out)
    assert result.code == 0, result.stderr
    return Run(out, seen)


@dataclass(frozen=True)
class Pair:
    input_path: Path
    config_path: Path  # run A's recorded configuration
    a: Run
    b: Run


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    folder = tmp_path_factory.mktemp("repro")
    input_path = folder / "customers.csv"
    make_customers(N_ROWS, n_segments=4, seed=3).frame.to_csv(input_path, index=False)
    light = folder / "light.json"
    light.write_text(json.dumps(LIGHT), encoding="utf-8")
    a = run_counting_threads(input_path, folder / "A", "--config", str(light), "--n-jobs", "1")
    config_path = folder / "config.json"
    config_path.write_text(json.dumps(a.run_json()["config"]), encoding="utf-8")
    b = run_counting_threads(input_path, folder / "B", "--config", str(config_path))
    return Pair(input_path, config_path, a, b)


def assert_identical(one: Path, other: Path, names: list[str]) -> None:
    different = [n for n in names if (one / n).read_bytes() != (other / n).read_bytes()]
    assert different == []


def without_n_jobs(report: Path) -> list[str]:
    lines = report.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if "&#34;n_jobs&#34;" not in line]


# --------------------------------------------------------------------------- same run twice


def test_the_runs_cover_every_method_and_figure(pair: Pair) -> None:
    assert pair.a.run_json()["config"]["clustering"]["methods"] == METHODS
    assert pair.a.run_json()["skipped_methods"] == {}
    pngs = pair.a.files()[len(REPRODUCIBLE) :]
    assert {f"plots/scatter_{m}.png" for m in METHODS} <= set(pngs)
    assert pngs == pair.b.files()[len(REPRODUCIBLE) :]


def test_same_input_config_and_seed_give_identical_files(pair: Pair) -> None:
    assert_identical(pair.a.out, pair.b.out, [*pair.a.files(), "report.html"])


def test_what_is_not_byte_identical(pair: Pair) -> None:
    # run.json differs in its timings only.
    a, b = pair.a.run_json(), pair.b.run_json()
    assert a.pop("timings_seconds").keys() == b.pop("timings_seconds").keys()
    assert a == b


# --------------------------------------------------------------------------- thread counts


def test_thread_count_does_not_change_the_results(
    pair: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    two = run_counting_threads(
        pair.input_path, tmp_path / "C", "--config", str(pair.config_path), "--n-jobs", "2"
    )
    # The runs really used one and two threads in every pool.
    assert set(pair.a.threads.values()) == {1}, pair.a.threads
    assert set(two.threads.values()) == {2}, two.threads
    assert {"openmp", "blas"} <= set(two.threads)

    assert pair.a.run_json()["config"]["n_jobs"] == 1
    assert two.run_json()["config"]["n_jobs"] == 2
    # model.skops keeps scikit-learn's own K-Means estimator, which records its thread
    # count and sums its centres in a thread-dependent order (last-bit differences that
    # place no customer differently): the same bytes for the same n_jobs only (README).
    assert_identical(pair.a.out, two.out, [f for f in pair.a.files() if f != "model.skops"])
    assert (pair.a.out / "model.skops").read_bytes() != (two.out / "model.skops").read_bytes()
    # The report shows the configuration: it differs in n_jobs only.
    report_a, report_c = (pair.a.out / "report.html"), (two.out / "report.html")
    assert report_a.read_bytes() != report_c.read_bytes()
    assert without_n_jobs(report_a) == without_n_jobs(report_c)


# --------------------------------------------------------------------------- seeds


def test_a_different_seed_changes_the_results(pair: Pair, tmp_path: Path) -> None:
    # Without this the identity tests above could pass on outputs that ignore the seed.
    config = parse_config(json.loads(pair.config_path.read_text(encoding="utf-8")))
    run = run_segmentation(read_table(pair.input_path).frame, config.with_overrides({"seed": 1}))
    write_csv(k_selection_table(run), tmp_path / "k_selection.csv")
    write_csv(feature_importance_table(run), tmp_path / "feature_importance.csv")
    for name in ("k_selection.csv", "feature_importance.csv"):
        seed0 = (pair.a.out / name).read_text(encoding="utf-8").splitlines()
        seed1 = (tmp_path / name).read_text(encoding="utf-8").splitlines()
        assert seed0[0] == seed1[0], name  # same columns: the values differ
        assert len(seed0) == len(seed1), name
        assert seed0 != seed1, name


# --------------------------------------------------------------------------- run.json


def test_run_json_records_what_is_needed_to_repeat(pair: Pair) -> None:
    summary = pair.a.run_json()
    source = summary["input"]
    assert source["path"] == str(pair.input_path)
    assert source["sha256"] == hashlib.sha256(pair.input_path.read_bytes()).hexdigest()
    assert (source["rows"], source["columns"]) == (N_ROWS, 11)
    assert summary["seed"] == 0
    assert summary["config"]["seed"] == 0
    assert summary["config"] == parse_config({**LIGHT, "n_jobs": 1}).to_dict()
    assert summary["config"]["clustering"]["methods"] == METHODS
    versions = summary["library_versions"]
    assert versions["segmentkit"] == __version__
    for name in ("numpy", "pandas", "scikit-learn", "scipy", "matplotlib"):
        assert versions[name] == version(name), name
    assert versions["python"] == platform.python_version()
    assert summary["segmentkit_version"] == __version__


def test_rerun_with_the_recorded_config_reproduces_segments(pair: Pair) -> None:
    assert pair.b.run_json()["config"] == pair.a.run_json()["config"]
    assert pair.b.run_json()["input"]["sha256"] == pair.a.run_json()["input"]["sha256"]
    segments = (pair.b.out / "segments.csv").read_bytes()
    assert segments == (pair.a.out / "segments.csv").read_bytes()
    assert len(segments.splitlines()) == N_ROWS + 1


# --------------------------------------------------------------------------- n_jobs


def test_effective_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert effective_jobs(3) == 3
    assert effective_jobs(1) == 1
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert effective_jobs(None) == len(os.sched_getaffinity(0))
    # The usual way to share a machine is honoured when n_jobs is not set (README).
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert effective_jobs(None) == 3
    assert effective_jobs(2) == 2
    for unusable in ("", "0", "two", "-1"):
        monkeypatch.setenv("OMP_NUM_THREADS", unusable)
        assert effective_jobs(None) == len(os.sched_getaffinity(0)), unusable


@pytest.mark.parametrize("value", [0, -1])
def test_n_jobs_below_one_is_rejected(value: int) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"n_jobs": value})
    assert caught.value.problems == ["n_jobs: Input should be greater than or equal to 1"]


def test_n_jobs_zero_on_the_command_line(tmp_path: Path, run_cli: RunCli) -> None:
    code, out, err = run_cli(
        "run", tmp_path / "missing.csv", "--n-jobs", "0", "--out", tmp_path / "o"
    )
    assert code == 2
    assert "Traceback" not in err
    assert err.splitlines() == [
        "error: n_jobs: Input should be greater than or equal to 1",
        "error: command line: 1 invalid setting(s)",
    ]
    assert out == ""
    assert list(tmp_path.iterdir()) == []


def test_n_jobs_zero_in_a_config_file(tmp_path: Path, run_cli: RunCli) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"n_jobs": 0}), encoding="utf-8")
    code, _, err = run_cli(
        "run", tmp_path / "missing.csv", "--config", config, "--out", tmp_path / "o"
    )
    assert code == 2
    assert err.splitlines() == [
        "error: n_jobs: Input should be greater than or equal to 1",
        f"error: {config}: 1 invalid setting(s)",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]
