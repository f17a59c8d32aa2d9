"""Tests for the Dask backend (segmentkit.backends.dask.run and its two helper modules).

The library runs use one in-process ``LocalCluster`` (1 worker, 2 threads); the CLI run
starts the default local cluster of worker processes itself.
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from helpers import read_run_json
from segmentkit.backends.dask.assign import clean_partitions, write_segments
from segmentkit.backends.dask.read import (
    column_statistics,
    draw_sample,
    find_input,
    read_input,
)
from segmentkit.backends.dask.run import DaskRun, segment_with_dask
from segmentkit.cli import main
from segmentkit.config import Config
from segmentkit.datasets import SyntheticCustomers, make_customers
from segmentkit.describe.profiles import profile_groups
from segmentkit.errors import ConfigError, DataError
from segmentkit.pipeline import SegmentationRun, run_segmentation
from segmentkit.scoring.model import SegmentationModel

pytestmark = pytest.mark.dask


def need_dask() -> None:
    """Skip unless the dask extra is installed (the tests of its absence run without it)."""
    for module in ("dask.dataframe", "distributed", "dask_ml.cluster"):
        pytest.importorskip(module)


N_ROWS = 12_000
SAMPLE = 4_000
CONFIG = Config().with_overrides(
    {
        "seed": 3,
        "clustering.methods": ["kmeans", "dbscan"],
        "clustering.k_max": 5,
        "clustering.stability.n_resamples": 2,
        "explain.n_estimators": 30,
        "explain.n_repeats": 2,
    }
)


@pytest.fixture(scope="module")
def planted() -> SyntheticCustomers:
    return make_customers(N_ROWS, n_segments=4, seed=11)


@pytest.fixture(scope="module")
def csv_folder(planted: SyntheticCustomers, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("input") / "customers"
    folder.mkdir()
    for number, rows in enumerate(np.array_split(np.arange(N_ROWS), 4)):
        planted.frame.iloc[rows].to_csv(folder / f"part-{number}.csv", index=False)
    (folder / "_SUCCESS").write_text("")  # writers' marker files are skipped
    return folder


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    need_dask()
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def local_run(planted: SyntheticCustomers) -> SegmentationRun:
    return run_segmentation(
        planted.frame, CONFIG.with_overrides({"clustering.methods": ["kmeans"]})
    )


@pytest.fixture(scope="module")
def dask_run(csv_folder: Path, scheduler: str, tmp_path_factory: pytest.TempPathFactory) -> DaskRun:
    out = tmp_path_factory.mktemp("dask") / "out"
    return segment_with_dask(csv_folder, CONFIG, out, scheduler=scheduler, sample_size=SAMPLE)


@pytest.fixture(scope="module")
def segments(dask_run: DaskRun) -> pd.DataFrame:
    return pd.read_parquet(dask_run.out_dir / "segments")


# --------------------------------------------------------------------------- the segments


def test_dask_finds_the_local_k_and_the_planted_segments(
    dask_run: DaskRun,
    local_run: SegmentationRun,
    segments: pd.DataFrame,
    planted: SyntheticCustomers,
) -> None:
    assert dask_run.n_sample == SAMPLE < dask_run.n_customers == N_ROWS
    assert dask_run.run.results["kmeans"].params == local_run.results["kmeans"].params == {"k": 4}
    local = pd.Series(local_run.results["kmeans"].labels, index=local_run.prepared.ids)
    ours = segments.set_index("customer_id")["segment_kmeans"]
    assert adjusted_rand_score(local, ours.loc[local.index]) >= 0.95
    assert adjusted_rand_score(planted.labels, segments["segment_kmeans"]) >= 0.95


def test_every_input_customer_appears_once_in_input_order(
    dask_run: DaskRun, segments: pd.DataFrame, planted: SyntheticCustomers
) -> None:
    assert segments["customer_id"].tolist() == planted.frame["customer_id"].tolist()
    assert sorted(p.name for p in (dask_run.out_dir / "segments").iterdir()) == [
        f"part.{n}.parquet" for n in range(4)
    ]
    assert list(segments.columns[:3]) == ["customer_id", "segment", "segment_name"]
    recommended = dask_run.run.recommended
    assert (segments["segment"] == segments[f"segment_{recommended}"]).all()
    names = dask_run.run.profiles[recommended].names
    assert (segments["segment_name"] == segments["segment"].map(names)).all()


def test_saved_model_places_customers_where_the_partitioned_output_does(
    dask_run: DaskRun, segments: pd.DataFrame, planted: SyntheticCustomers
) -> None:
    model = SegmentationModel.load(dask_run.out_dir / "model.skops")
    rows = np.arange(0, N_ROWS, 397)
    scored = model.score(planted.frame.iloc[rows])
    expected = segments.iloc[rows].reset_index(drop=True)
    for column in ("customer_id", "segment", "segment_kmeans", "segment_dbscan", "is_outlier"):
        assert scored[column].tolist() == expected[column].tolist(), column
    # The saved K-Means is the distributed fit: it agrees with the sample fit, not equals it.
    kmeans = read_run_json(dask_run.out_dir)["dask"]["kmeans"]
    assert kmeans["init"] == "k-means||"
    assert 0.95 <= kmeans["sample_agreement_ari"] <= 1.0


def test_profile_population_sizes_count_every_customer(
    dask_run: DaskRun, segments: pd.DataFrame
) -> None:
    profiles = pd.read_csv(dask_run.out_dir / "segment_profiles.csv")
    for method in ("kmeans", "dbscan"):
        rows = profiles[profiles["method"] == method].set_index("segment")
        groups = profile_groups(
            segments[f"segment_{method}"].to_numpy(), ~segments["is_outlier"].to_numpy()
        )
        expected = pd.Series(groups).value_counts()
        assert rows["population_size"].to_dict() == expected.loc[rows.index].to_dict()
        assert rows["population_size"].sum() == N_ROWS
        assert rows["population_share"].to_numpy() == pytest.approx(
            rows["population_size"].to_numpy() / N_ROWS
        )
        # The profiles themselves describe the sample.
        assert rows["size"].sum() == SAMPLE
        by_segment = segments[f"segment_{method}"].value_counts().to_dict()
        assert dask_run.segment_sizes[method] == by_segment


def test_run_json_records_the_whole_input_and_every_approximation(dask_run: DaskRun) -> None:
    summary = read_run_json(dask_run.out_dir)
    assert summary["rows"]["read"] == summary["rows"]["kept"] == N_ROWS
    assert summary["dask"]["sample"] == {"size": SAMPLE, "of": N_ROWS, "seed": 3}
    assert summary["input"]["rows"] == N_ROWS
    assert len(summary["input"]["files"]) == 4
    assert any("4,000 of 12,000" in note for note in summary["dask"]["notes"])
    assert any("4,000 of 12,000" in note for note in summary["methods"]["dbscan"]["notes"])
    for method in ("kmeans", "dbscan"):
        assert any("profiles describe the sample" in n for n in summary["methods"][method]["notes"])
    assert any("k-means||" in note for note in summary["methods"]["kmeans"]["notes"])
    for method in ("kmeans", "dbscan"):
        assert sum(summary["methods"][method]["segment_sizes"].values()) == N_ROWS
        assert sum(summary["methods"][method]["sample_segment_sizes"].values()) <= SAMPLE
    assert "kmeans on every customer" in summary["timings_seconds"]
    assert not (dask_run.out_dir / "segments.csv").exists()
    assert "k-means||" in (dask_run.out_dir / "report.html").read_text(encoding="utf-8")


def test_cleaning_statistics_equal_pandas(dask_run: DaskRun, csv_folder: Path) -> None:
    frame = pd.concat(
        [pd.read_csv(path) for path in sorted(csv_folder.glob("*.csv"))], ignore_index=True
    )
    statistics = dask_run.statistics
    assert statistics["rows"] == len(frame) == N_ROWS
    assert statistics["id_column"] == "customer_id"
    assert statistics["duplicate_id_rows"] == statistics["repeated_ids"] == 0
    columns = statistics["columns"]
    assert {c: columns[c]["missing"] for c in frame} == frame.isna().sum().to_dict()
    assert int(frame.isna().sum().sum()) > 0  # the planted data has missing cells
    for column in ("age", "annual_income", "online_share", "avg_order_value"):
        values = frame[column]
        assert columns[column]["role"] == "numeric"
        assert columns[column]["mean"] == pytest.approx(values.mean(), rel=1e-12)
        assert columns[column]["std"] == pytest.approx(values.std(), rel=1e-9)
        assert (columns[column]["min"], columns[column]["max"]) == (values.min(), values.max())
        assert values.quantile(0.1) < columns[column]["median"] < values.quantile(0.9)
    for column in ("gender", "region", "channel"):
        assert columns[column]["frequencies"] == frame[column].value_counts().to_dict()


# --------------------------------------------------------------------------- input


def test_statistics_count_repeated_ids_and_parse_numbers_stored_as_text(
    tmp_path: Path, scheduler: str
) -> None:
    from distributed import Client

    frame = make_customers(400, n_segments=2, seed=4).frame
    frame.loc[10:14, "customer_id"] = frame.loc[0:4, "customer_id"].to_numpy()  # 5 repeats
    frame["annual_income"] = frame["annual_income"].map(lambda v: f"${v:,.1f}" if v == v else "")
    frame.iloc[:200].to_csv(tmp_path / "a.csv", index=False)
    frame.iloc[200:].to_csv(tmp_path / "b.csv", index=False)
    config = Config().with_overrides({"clustering.methods": ["kmeans"], "clustering.k": 2})
    with Client(scheduler):
        scanned = read_input(find_input(tmp_path / "*.csv"))
        sample = draw_sample(scanned, 10_000, seed=0)
        run = run_segmentation(sample, config)
        cleaner = SegmentationModel.from_run(run)
        statistics = column_statistics(
            scanned,
            clean_partitions(scanned.frame, cleaner, sample.head()),
            roles={c: r.role for c, r in run.prepared.roles.items()},
            id_column="customer_id",
        )
    assert (statistics["repeated_ids"], statistics["duplicate_id_rows"]) == (5, 5)
    income = statistics["columns"]["annual_income"]
    expected = make_customers(400, n_segments=2, seed=4).frame["annual_income"]
    assert income["dtype"] == "str"
    assert income["mean"] == pytest.approx(expected.mean(), rel=1e-12)
    assert income["missing"] == income["missing_after_cleaning"] == expected.isna().sum()


def test_the_seeded_sample_depends_only_on_files_and_seed(csv_folder: Path, scheduler: str) -> None:
    from distributed import Client

    with Client(scheduler):
        scanned = read_input(find_input(csv_folder))
        first = draw_sample(scanned, 300, seed=5)
        again = draw_sample(scanned, 300, seed=5)
        other = draw_sample(scanned, 300, seed=6)
    assert len(first) == 300
    pd.testing.assert_frame_equal(first, again)
    assert first["customer_id"].is_monotonic_increasing  # input order
    assert set(first["customer_id"]) != set(other["customer_id"])


def test_rows_without_an_id_are_numbered_over_the_whole_input(
    tmp_path: Path, scheduler: str
) -> None:
    from distributed import Client

    frame = make_customers(900, n_segments=2, seed=6).frame.drop(columns="customer_id")
    folder = tmp_path / "input"
    folder.mkdir()
    for number, rows in enumerate(np.array_split(np.arange(900), 3)):
        frame.iloc[rows].to_csv(folder / f"{number}.csv", index=False)
    frame.head(0).to_csv(folder / "1a.csv", index=False)  # a header only, between two
    config = Config().with_overrides({"clustering.methods": ["kmeans"], "clustering.k": 2})
    with Client(scheduler):
        scanned = read_input(find_input(folder))
        assert scanned.lengths == (300, 300, 300)
        run = run_segmentation(draw_sample(scanned, 300, seed=0), config)
        model = SegmentationModel.from_run(run)
        counts = write_segments(scanned, model, frame.head(), tmp_path / "segments")
    segments = pd.read_parquet(tmp_path / "segments")
    assert segments["row"].tolist() == list(range(1, 901))
    assert segments["segment"].tolist() == model.score(frame)["segment"].tolist()
    assert counts.groupby("method")["customers"].sum().to_dict() == {"kmeans": 900}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.csv": "x,y\n1,2\n", "b.parquet": None}, "mixes file types"),
        ({"a.csv": "x,y\n1,2\n", "b.txt": "x,y\n"}, "unsupported file type '.txt'"),
        ({"a.csv": ""}, "is empty"),
        ({}, "holds no data files"),
    ],
)
def test_bad_input_folders_are_one_clear_error(
    tmp_path: Path, files: dict[str, str | None], message: str
) -> None:
    for name, text in files.items():
        if text is None:
            pd.DataFrame({"x": [1], "y": [2]}).to_parquet(tmp_path / name)
        else:
            (tmp_path / name).write_text(text)
    with pytest.raises(DataError, match=message):
        find_input(tmp_path)


def test_files_with_different_columns_are_refused(tmp_path: Path) -> None:
    need_dask()
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "b.csv").write_text("x,z\n1,2\n")
    with pytest.raises(DataError, match="every file must have the same columns"):
        read_input(find_input(tmp_path))


def test_a_column_changing_type_down_the_files_is_one_clear_error(tmp_path: Path) -> None:
    need_dask()
    (tmp_path / "a.csv").write_text("id,x\n" + "".join(f"{i},{i / 2}\n" for i in range(500)))
    (tmp_path / "b.csv").write_text("id,x\n500,1.5\n501,unknown\n")
    with pytest.raises(DataError, match=r"^column\(s\) x hold values of another type"):
        read_input(find_input(tmp_path))


def test_missing_extra_fails_politely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "dask_ml.cluster", None)
    with pytest.raises(ConfigError, match=r"pip install 'segmentkit\[dask\]'"):
        segment_with_dask(tmp_path, Config(), tmp_path / "out")
    code = main(["run", str(tmp_path), "--backend", "dask", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    [line] = err.splitlines()
    assert line.startswith("error: the Dask backend needs dask, distributed and dask-ml (")
    assert line.endswith(" is missing) (pip install 'segmentkit[dask]')")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- command line


def test_cli_runs_a_parquet_glob_on_the_default_local_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need_dask()
    planted = make_customers(6_000, n_segments=3, seed=12)
    folder = tmp_path / "parquet"
    folder.mkdir()
    for number, rows in enumerate(np.array_split(np.arange(6_000), 2)):
        planted.frame.iloc[rows].to_parquet(folder / f"customers-{number}.parquet")
    config = tmp_path / "segmentkit.json"
    config.write_text(
        json.dumps(CONFIG.with_overrides({"clustering.methods": ["kmeans"]}).to_dict())
    )
    out = tmp_path / "out"
    args = ["--backend", "dask", "--k", "3", "--config", config, "--out", out, "-q"]
    code = main(["run", str(folder / "*.parquet"), *map(str, args)])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    assert "All 6,000 customers by segment: 0: " in stdout
    segments = pd.read_parquet(out / "segments")
    assert segments["customer_id"].tolist() == planted.frame["customer_id"].tolist()
    assert adjusted_rand_score(planted.labels, segments["segment"]) >= 0.95
    summary = read_run_json(out)
    assert summary["methods"]["kmeans"]["params"] == {"k": 3}
    assert summary["dask"]["cluster"]["scheduler"] == "local cluster of worker processes"
    assert summary["input"]["format"] == "parquet"
    log = (out / "run.log").read_text()
    assert log.count("Stage kmeans on every customer done in") == 1
    # Partitions are scored in the worker processes: only the 50-row type probe is here.
    assert log.count("Scored ") == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["--scheduler", "tcp://127.0.0.1:8786"], 2, "--scheduler needs --backend dask"),
        (["--backend", "dask", "--scheduler", "UNREACHABLE"], 1, "cannot reach the Dask"),
        (["--backend", "dask", "--scheduler", "nonsense"], 2, "is not a Dask scheduler address"),
        (["--backend", "dask", "--previous", "earlier"], 2, "--previous is not available"),
    ],
)
def test_cli_scheduler_errors_are_one_line(
    csv_folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    exit_code: int,
    message: str,
) -> None:
    if "--scheduler" in args and "--backend" in args:
        need_dask()
    args = [a.replace("UNREACHABLE", f"tcp://127.0.0.1:{_free_port()}") for a in args]
    code = main(["run", str(csv_folder), *args, "--out", str(tmp_path / "out")])
    _assert_one_error_line(code, capsys, exit_code, message)
    assert list(tmp_path.iterdir()) == []


def test_cli_empty_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    need_dask()
    (tmp_path / "empty").mkdir()
    code = main(
        ["run", str(tmp_path / "empty"), "--backend", "dask", "--out", str(tmp_path / "out")]
    )
    _assert_one_error_line(code, capsys, 1, "holds no data files")
    assert [p.name for p in tmp_path.iterdir()] == ["empty"]


def _assert_one_error_line(
    code: int, capsys: pytest.CaptureFixture[str], exit_code: int, message: str
) -> None:
    out, err = capsys.readouterr()
    assert code == exit_code, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert out == ""
