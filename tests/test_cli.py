"""Tests for segmentkit.cli: exit codes, clean one-line errors, help and version."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pandas as pd
import pytest

from helpers import RunCli, error_lines, read_run_json
from segmentkit import __version__
from segmentkit.cli import cli as cli_group
from segmentkit.cli import main
from segmentkit.datasets import make_customers, sample_data_path
from segmentkit.describe.importance_words import importance_headline
from segmentkit.errors import ConfigError

# The manual: the README and the pages of docs/ (the full CLI reference lives there).
ROOT = Path(__file__).resolve().parents[1]
MANUAL = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def run_subprocess(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "segmentkit", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def assert_clean_failure(code: int, err: str, *, exit_code: int, n_problems: int = 0) -> None:
    """Exit code as documented, ``n_problems`` lines then one summary line, no traceback."""
    assert code == exit_code, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines, "nothing on stderr"
    assert lines[-1].startswith("error: "), lines[-1]
    assert len(error_lines(err)) == n_problems + 1, err


def assert_only(folder: Path, names: set[str]) -> None:
    """``folder`` holds exactly ``names``: no output folder, no temporary leftovers."""
    assert {p.name for p in folder.iterdir()} == names


# Ten rows are too few for some methods (DBSCAN needs more than min_samples rows), so
# the runs on them that must succeed use K-Means only.
KMEANS_K2 = ("--methods", "kmeans", "--k", "2")


@pytest.fixture
def ten_rows(tmp_path: Path) -> Path:
    path = tmp_path / "ten.csv"
    make_customers(10, seed=2).frame.to_csv(path, index=False)
    return path


# --------------------------------------------------------------------------- version and help


def test_version(run_cli: RunCli) -> None:
    code, out, _ = run_cli("--version")
    assert code == 0
    assert out.strip() == f"segmentkit, version {__version__}"


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _command_paths(command, (*prefix, name))


COMMANDS = list(_command_paths(cli_group))


def test_expected_commands_exist() -> None:
    assert {("run",), ("config",), ("config", "init"), ("config", "schema")} <= set(COMMANDS)
    assert ("config", "validate") in COMMANDS


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda p: " ".join(p) or "segmentkit")
def test_every_command_has_help(path: tuple[str, ...], run_cli: RunCli) -> None:
    code, out, err = run_cli(*path, "--help")
    assert (code, err) == (0, "")
    assert out.startswith(f"Usage: segmentkit {' '.join(path)}".rstrip() + " ")
    # A one-line description follows the usage line.
    description = out.split("\n\n", 2)[1].strip()
    assert len(description) > 10, out


def _readme_commands() -> set[tuple[str, ...]]:
    """Commands used on ``segmentkit ...`` lines of the manual's code blocks."""
    text = "\n".join(page.read_text(encoding="utf-8") for page in MANUAL if page.exists())
    found: set[tuple[str, ...]] = set()
    # Fences pair up line by line, so prose between two blocks is never read as a block.
    fenced = re.findall(r"^```(\w*)\n(.*?)^```", text, re.DOTALL | re.MULTILINE)
    for block in (body for lang, body in fenced if lang in {"", "sh", "bash", "console"}):
        for line in block.splitlines():
            words = line.removeprefix("$ ").split()
            if words[:3] == ["python", "-m", "segmentkit"]:
                words = ["segmentkit", *words[3:]]
            if len(words) < 2 or words[0] != "segmentkit" or words[1].startswith("-"):
                continue
            name = words[1]
            command = cli_group.commands.get(name)
            if isinstance(command, click.Group) and len(words) > 2:
                found.add((name, words[2]))
            else:
                found.add((name,))
    return found


def test_readme_commands_exist_and_every_command_is_documented() -> None:
    if not any(page.exists() for page in MANUAL):
        pytest.skip("README.md and docs/ not present")
    documented = _readme_commands()
    assert documented, "no `segmentkit ...` command lines found in the manual's code blocks"
    assert documented - set(COMMANDS) == set(), "the manual uses commands the CLI lacks"
    leaves = {p for p in COMMANDS if not isinstance(_resolve(p), click.Group)}
    assert leaves - documented == set(), "commands missing from the manual (README, docs/)"


def _resolve(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli_group
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


# --------------------------------------------------------------------------- usage errors


def test_unknown_option_is_a_usage_error(tmp_path: Path, ten_rows: Path, run_cli: RunCli) -> None:
    code, out, err = run_cli("run", ten_rows, "--nope", "--out", tmp_path / "out")
    assert_clean_failure(code, err, exit_code=2)
    assert "--nope" in err
    assert "(see `segmentkit run --help`)" in err
    assert out == ""
    assert_only(tmp_path, {"ten.csv"})


def test_non_integer_k_is_a_usage_error(tmp_path: Path, ten_rows: Path, run_cli: RunCli) -> None:
    code, _, err = run_cli("run", ten_rows, "--k", "five", "--out", tmp_path / "out")
    assert_clean_failure(code, err, exit_code=2)
    assert "'five' is not a valid integer" in err
    assert_only(tmp_path, {"ten.csv"})


@pytest.mark.parametrize(
    ("flags", "field"),
    [
        (["--k", "1"], "clustering.k"),
        (["--seed", "-1"], "seed"),
        (["--methods", "kmeans,no_such_method"], "clustering.methods"),
        (["--delimiter", ":"], "input.delimiter"),
    ],
)
def test_invalid_flag_values_are_config_errors(
    tmp_path: Path,
    ten_rows: Path,
    run_cli: RunCli,
    flags: list[str],
    field: str,
) -> None:
    code, _, err = run_cli("run", ten_rows, *flags, "--out", tmp_path / "out")
    assert_clean_failure(code, err, exit_code=2, n_problems=1)
    assert error_lines(err)[0].startswith(f"error: {field}: ")
    assert error_lines(err)[-1] == "error: command line: 1 invalid setting(s)"
    assert_only(tmp_path, {"ten.csv"})


# --------------------------------------------------------------------------- data errors


def test_missing_file(tmp_path: Path, run_cli: RunCli) -> None:
    missing = tmp_path / "nope.csv"
    code, out, err = run_cli("run", missing, "--out", tmp_path / "out")
    assert_clean_failure(code, err, exit_code=1)
    assert err.strip().splitlines()[-1] == (
        f"error: file not found: {missing} (check the path and the working folder)"
    )
    assert out == ""
    assert_only(tmp_path, set())


def test_empty_file(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    code, _, err = run_cli("run", path, "--out", tmp_path / "out")
    assert_clean_failure(code, err, exit_code=1)
    assert f"error: {path} is empty" in err
    assert_only(tmp_path, {"empty.csv"})


def test_header_only_csv(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "header.csv"
    path.write_text("customer_id,age,income\n", encoding="utf-8")
    code, _, err = run_cli("run", path, "--out", tmp_path / "out")
    assert_clean_failure(code, err, exit_code=1)
    assert "no data rows" in error_lines(err)[-1]
    assert_only(tmp_path, {"header.csv"})


def test_undecodable_encoding(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "accents.csv"
    path.write_text("name,age,income\nJosé,31,40\nAna,45,52\nBob,29,33\n", encoding="utf-8")
    code, _, err = run_cli("run", path, "--encoding", "ascii", "--out", tmp_path / "out")
    assert_clean_failure(code, err, exit_code=1)
    last = error_lines(err)[-1]
    assert f"{path} is not valid ascii at byte 19" in last  # where "é" starts
    assert "--encoding" in last
    assert_only(tmp_path, {"accents.csv"})


def test_unknown_encoding_name_is_a_config_error(
    tmp_path: Path, ten_rows: Path, run_cli: RunCli
) -> None:
    code, _, err = run_cli("run", ten_rows, "--encoding", "klingon", "--out", tmp_path / "o")
    assert_clean_failure(code, err, exit_code=2)
    assert "'klingon'" in error_lines(err)[-1]
    assert_only(tmp_path, {"ten.csv"})


def test_no_usable_numeric_column(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "text.csv"
    rows = [f"{name},{city}" for name, city in zip("ABCDEFGHIJKL", "xyz" * 4, strict=True)]
    path.write_text("name,city\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run_cli("run", path, "--out", tmp_path / "out")
    assert_clean_failure(code, err, exit_code=1)
    assert error_lines(err)[-1].startswith("error: no usable ")
    assert_only(tmp_path, {"text.csv"})


def test_more_segments_than_rows(tmp_path: Path, ten_rows: Path, run_cli: RunCli) -> None:
    code, out, err = run_cli("run", ten_rows, "--k", "50", "--out", tmp_path / "out")
    # A usage error (exit 2), found before any method runs: no method is skipped for it.
    assert_clean_failure(code, err, exit_code=2)
    assert error_lines(err)[-1].startswith("error: asked for 50 segments but only ")
    assert "skipped" not in err
    assert out == ""
    assert_only(tmp_path, {"ten.csv"})


def test_unknown_feature_column(tmp_path: Path, ten_rows: Path, run_cli: RunCli) -> None:
    code, _, err = run_cli("run", ten_rows, "--features", "age,shoe_size", "--out", tmp_path / "o")
    assert code in (1, 2)
    assert "Traceback" not in err
    assert "'shoe_size'" in error_lines(err)[-1]
    assert_only(tmp_path, {"ten.csv"})


def test_invalid_config_wins_before_data_is_read(tmp_path: Path, run_cli: RunCli) -> None:
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"bogus": 1, "clustering": {"k_max": 1}}), encoding="utf-8")
    missing = tmp_path / "nope.csv"
    code, out, err = run_cli("run", missing, "--config", config, "--out", tmp_path / "out")
    assert_clean_failure(code, err, exit_code=2, n_problems=2)
    lines = err.splitlines()
    assert sorted(lines[:-1]) == [
        "error: bogus: unknown key (check the spelling; see `segmentkit config schema`)",
        "error: clustering.k_max: Input should be greater than or equal to 2",
    ]
    assert lines[-1] == f"error: {config}: 2 invalid setting(s)"
    assert "not found" not in err  # the data file was never looked at
    assert out == ""
    assert_only(tmp_path, {"bad.json"})


def test_out_is_an_existing_file(tmp_path: Path, ten_rows: Path, run_cli: RunCli) -> None:
    target = tmp_path / "results"
    target.write_text("precious\n", encoding="utf-8")
    code, _, err = run_cli("run", ten_rows, *KMEANS_K2, "--out", target)
    assert_clean_failure(code, err, exit_code=1)
    assert (
        error_lines(err)[-1] == f"error: --out {target} is an existing file; choose a folder path"
    )
    assert target.read_text(encoding="utf-8") == "precious\n"
    assert_only(tmp_path, {"ten.csv", "results"})


def test_failed_run_leaves_previous_output_intact(
    tmp_path: Path, ten_rows: Path, run_cli: RunCli
) -> None:
    out_dir = tmp_path / "out"
    code, _, err = run_cli("run", ten_rows, *KMEANS_K2, "--out", out_dir)
    assert code == 0, err
    before = {
        str(p.relative_to(out_dir)): p.read_bytes() for p in out_dir.rglob("*") if p.is_file()
    }
    assert {"segments.csv", "report.html", "plots/scatter_kmeans.png"} <= set(before)

    code, _, err = run_cli("run", ten_rows, "--k", "50", "--out", out_dir)
    assert_clean_failure(code, err, exit_code=2)
    after = {str(p.relative_to(out_dir)): p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
    assert after == before
    assert_only(tmp_path, {"ten.csv", "out"})


def test_debug_shows_the_traceback(
    tmp_path: Path, ten_rows: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError, match="asked for 50 segments"):
        main(["run", str(ten_rows), "--k", "50", "--debug", "--out", str(tmp_path / "out")])
    assert_only(tmp_path, {"ten.csv"})


# --------------------------------------------------------------------------- real processes


def test_subprocess_data_error_exit_code_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("a,b\n", encoding="utf-8")
    result = run_subprocess("run", path, "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    assert result.stdout == ""
    assert_only(tmp_path, {"header.csv"})


def test_subprocess_config_error_exit_code(tmp_path: Path) -> None:
    result = run_subprocess("run", tmp_path / "x.csv", "--k", "0", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "error: clustering.k: Input should be greater than or equal to 2",
        "error: command line: 1 invalid setting(s)",
    ]
    assert_only(tmp_path, set())  # not even the default ./segmentation-output


def test_subprocess_debug_prints_traceback(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("a,b\n", encoding="utf-8")
    result = run_subprocess("run", path, "--debug", "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "segmentkit.errors.DataError" in result.stderr


# --------------------------------------------------------------------------- successful runs


def test_bundled_sample_data_runs(tmp_path: Path, run_cli: RunCli) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run_cli("run", sample_data_path(), "--out", out_dir)
    assert code == 0, err
    assert out.strip().splitlines()[-1] == f"Output folder: {out_dir.resolve()}"
    segments = pd.read_csv(out_dir / "segments.csv")
    assert len(segments) == 440
    assert segments["segment"].notna().all()
    assert_only(tmp_path, {"out"})


def test_demo_command(tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    if "demo" not in cli_group.commands:
        pytest.skip("no demo command")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("demo", "-q", "--out", tmp_path / "demo")
    assert code == 0, err
    assert (tmp_path / "demo" / "segments.csv").is_file()
    assert f"Output folder: {(tmp_path / 'demo').resolve()}" in out
    assert_only(tmp_path, {"demo"})


def test_demo_no_figures(tmp_path: Path, run_cli: RunCli) -> None:
    # New user: `segmentkit demo --no-figures` was "No such option".
    out_dir = tmp_path / "demo"
    code, out, err = run_cli(
        "demo", "--dataset", "wholesale", "--no-figures", "-q", "--out", out_dir
    )
    assert code == 0, err
    assert (out_dir / "segments.csv").is_file()
    assert not (out_dir / "report.html").exists()
    assert read_run_json(out_dir)["figures"] is False
    assert f"Report: skipped (--no-figures); render it with: segmentkit report {out_dir}" in out


def test_quiet_run_prints_only_the_summary(tmp_path: Path, ten_rows: Path, run_cli: RunCli) -> None:
    code, out, err = run_cli("run", ten_rows, *KMEANS_K2, "-q", "--out", tmp_path / "out")
    assert code == 0
    assert "INFO" not in err
    lines = out.strip().splitlines()
    assert lines[0].startswith("2 segments by ")
    assert lines[-1] == f"Output folder: {(tmp_path / 'out').resolve()}"
    run_log = (tmp_path / "out" / "run.log").read_text(encoding="utf-8")
    assert "Stage prepare" in run_log  # the file log keeps everything even when quiet


def test_main_leaves_logging_as_it_found_it(
    tmp_path: Path, ten_rows: Path, run_cli: RunCli
) -> None:
    logger = logging.getLogger("segmentkit")
    before = (list(logger.handlers), logger.level, logger.propagate)
    run_cli("run", ten_rows, *KMEANS_K2, "--out", tmp_path / "out")
    run_cli("run", tmp_path / "missing.csv", "--out", tmp_path / "out2")
    assert (list(logger.handlers), logger.level, logger.propagate) == before


# --------------------------------------------------------------------------- segmentkit profile


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory, small_customers_csv: Path) -> Path:
    out = tmp_path_factory.mktemp("profile") / "out"
    flags = ["--methods", "kmeans,gmm", "-q"]
    assert main(["run", str(small_customers_csv), "--out", str(out), *flags]) == 0
    return out


def test_profile_shows_the_recommended_segments(finished_run: Path, run_cli: RunCli) -> None:
    code, out, err = run_cli("profile", finished_run)
    assert (code, err) == (0, "")
    summary = read_run_json(finished_run)
    recommended = summary["recommended"]["method"]
    n_segments = summary["methods"][recommended]["n_segments"]
    assert out.splitlines()[0] == f"{n_segments} segments by {recommended} (recommended)"
    profiles = pd.read_csv(finished_run / "segment_profiles.csv")
    # Customers as segments.csv counts them: flagged outliers in their nearest segment.
    in_file = pd.read_csv(finished_run / "segments.csv")["segment"].value_counts()
    for row in profiles[profiles["method"] == recommended].itertuples():
        # The first word of the name (a long one wraps within its column).
        assert row.name.split()[0] in out
        assert f"{in_file.get(row.segment, row.size):,}" in out
    importance = pd.read_csv(finished_run / "feature_importance.csv")
    rows = importance[importance["method"] == recommended]
    accuracy = summary["methods"][recommended]["explanation"]["surrogate_accuracy"]
    headline = importance_headline(rows, accuracy)
    assert headline == summary["methods"][recommended]["explanation"]["headline"]
    # Every group of correlated features costs under 5 points when shuffled: the
    # segments differ on many features at once.
    groups = rows.drop_duplicates("feature_group")
    assert groups["group_permutation_mean"].max() < 0.05
    assert headline.startswith("No single feature or group separates the segments")
    assert f"reproduces {accuracy:.0%} of the segments" in headline
    assert " ".join(headline.split()) in " ".join(out.split())  # rich wraps long lines


def test_profile_of_an_output_folder_without_feature_groups(
    finished_run: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    # Folders written before features were grouped lack the three group columns.
    old = tmp_path / "old"
    shutil.copytree(finished_run, old)
    importance = pd.read_csv(old / "feature_importance.csv")
    legacy = importance.drop(
        columns=["feature_group", "group_permutation_mean", "group_permutation_std"]
    )
    legacy.to_csv(old / "feature_importance.csv", index=False)
    code, out, err = run_cli("profile", old)
    assert (code, err) == (0, "")
    summary = read_run_json(old)
    recommended = summary["recommended"]["method"]
    accuracy = summary["methods"][recommended]["explanation"]["surrogate_accuracy"]
    # Each feature on its own: on these segments, which differ on every feature, none
    # costs 5 points alone (the largest drop: 1.3 points of 75 held-out customers).
    rows = legacy[legacy["method"] == recommended]
    assert rows["permutation_mean"].max() == pytest.approx(1 / 75)
    expected = importance_headline(rows, accuracy)
    assert expected == (
        "No single feature or group separates the segments on its own: they differ on "
        "many features at once (see each segment's drivers; a forest given every feature "
        f"reproduces {accuracy:.0%} of the segments)"
    )
    assert " ".join(expected.split()) in " ".join(out.split())


def test_profile_of_another_method(finished_run: Path, run_cli: RunCli) -> None:
    summary = read_run_json(finished_run)
    other = next(m for m in ("kmeans", "gmm") if m != summary["recommended"]["method"])
    code, out, _ = run_cli("profile", finished_run, "--method", other)
    assert code == 0
    assert out.splitlines()[0].startswith(
        f"{summary['methods'][other]['n_segments']} segments by {other}"
    )
    assert "(recommended)" not in out.splitlines()[0]


def test_run_ends_with_the_same_table(
    tmp_path: Path, run_cli: RunCli, small_customers_csv: Path
) -> None:
    code, run_out, _ = run_cli(
        "run", small_customers_csv, "--out", tmp_path / "out", *KMEANS_K2, "-q"
    )
    assert code == 0
    code, profile_out, _ = run_cli("profile", tmp_path / "out")
    assert code == 0
    assert profile_out.strip() in run_out


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "output folder not found"),
        ("empty", "has no run.json"),
        ("bad_method", "method 'dbscan' is not in this run"),
        ("no_profiles", "has no segment_profiles.csv"),
    ],
)
def test_profile_fails_cleanly(
    setup: str, message: str, finished_run: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    args: list[object] = ["profile"]
    if setup == "missing":
        args.append(tmp_path / "nowhere")
    elif setup == "empty":
        args.append(tmp_path)
    elif setup == "bad_method":
        args += [finished_run, "--method", "dbscan"]
    else:
        (tmp_path / "run.json").write_text(
            (finished_run / "run.json").read_text(encoding="utf-8"), encoding="utf-8"
        )
        args.append(tmp_path)
    code, out, err = run_cli(*args)
    assert_clean_failure(code, err, exit_code=1)
    assert message in err
    assert out == ""


# --------------------------------------------------------------------------- issue 16


@pytest.mark.parametrize("command", ["run", "score", "rfm"])
def test_input_flags_on_every_command_that_reads_input(command: str) -> None:
    options = {o for p in _resolve((command,)).params for o in getattr(p, "opts", [])}
    assert {"--encoding", "--delimiter", "--sheet"} <= options


def test_zero_padded_ids_stay_text_in_every_output(tmp_path: Path, run_cli: RunCli) -> None:
    # Issue 16: ids written 00001 came out as 1 in segments.csv and the scored file.
    frame = make_customers(120, n_segments=3, seed=5).frame
    frame["customer_id"] = [f"{i:05d}" for i in range(1, 121)]
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    first, second = tmp_path / "first", tmp_path / "second"
    code, _, err = run_cli("run", path, "--out", first, *KMEANS_K2, "-q")
    assert code == 0, err
    ids = frame["customer_id"].tolist()
    segments = pd.read_csv(first / "segments.csv", dtype=str)
    assert segments["customer_id"].tolist() == ids
    scored_path = tmp_path / "scored.csv"
    code, _, err = run_cli("score", first / "model.skops", path, "--out", scored_path, "-q")
    assert code == 0, err
    assert pd.read_csv(scored_path, dtype=str)["customer_id"].tolist() == ids
    # --previous joins the runs by these ids: every customer is in the migration table.
    code, _, err = run_cli("run", path, "--out", second, "--previous", first, *KMEANS_K2, "-q")
    assert code == 0, err
    migration = pd.read_csv(second / "segment_migration.csv")
    assert migration["customers"].sum() == 120


def test_dask_backend_refuses_delimiter_and_sheet(
    tmp_path: Path, ten_rows: Path, run_cli: RunCli
) -> None:
    for flag in ("--delimiter", "--sheet"):
        code, _, err = run_cli(
            "run", ten_rows, "--backend", "dask", flag, "x", "--out", tmp_path / "o"
        )
        assert_clean_failure(code, err, exit_code=2)
        assert f"{flag} is not available with --backend dask" in err


def test_score_bad_snapshot_date_is_a_config_error(
    tmp_path: Path, ten_rows: Path, run_cli: RunCli
) -> None:
    code, _, err = run_cli("score", tmp_path / "m.skops", ten_rows, "--snapshot-date", "31/12/2011")
    assert_clean_failure(code, err, exit_code=2)
    assert "--snapshot-date must be a date written YYYY-MM-DD, got '31/12/2011'" in err


def test_rfm_reads_the_sheet_asked_for(tmp_path: Path, run_cli: RunCli) -> None:
    log = pd.DataFrame(
        {
            "customer_id": ["0001", "0002", "0001"],
            "date": ["2024-01-02", "2024-01-03", "2024-02-01"],
            "amount": [10.0, 20.0, 5.0],
        }
    )
    book = tmp_path / "book.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        pd.DataFrame({"note": ["see the log"]}).to_excel(writer, index=False, sheet_name="About")
        log.to_excel(writer, index=False, sheet_name="Log")
    out = tmp_path / "customers.csv"
    code, _, err = run_cli("rfm", book, "--sheet", "Log", "--out", out, "-q")
    assert code == 0, err
    table = pd.read_csv(out, dtype={"customer_id": str})
    assert table["customer_id"].tolist() == ["0001", "0002"]
    assert table["frequency"].tolist() == [2, 1]
    # Without --sheet the first sheet is read, and it is no transaction log.
    code, _, err = run_cli("rfm", book, "--out", out, "-q")
    assert code == 1


def test_rfm_reads_a_whitespace_log_with_delimiter(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "log.txt"
    path.write_text(
        "customer_id date amount\n0001 2024-01-02 10.0\n0002 2024-01-03 20.0\n",
        encoding="utf-8",
    )
    out = tmp_path / "customers.csv"
    code, _, err = run_cli("rfm", path, "--delimiter", "whitespace", "--out", out, "-q")
    assert code == 0, err
    assert pd.read_csv(out, dtype=str)["customer_id"].tolist() == ["0001", "0002"]


COMMAND = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('exit handler ran', file=sys.stderr))\n"
    "sys.argv = ['segmentkit', *sys.argv[1:]]\n"
    "from segmentkit.cli import command\n"
    "command()\n"
)


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["--version"], 0, "segmentkit, version"),
        (["run", "--help"], 0, "--all-figures"),
        (["run", "missing.csv"], 1, ""),
        (["run", "missing.csv", "--no-figures", "--all-figures"], 2, ""),
    ],
)
def test_the_command_ends_with_its_code_its_output_flushed_and_exit_handlers_run(
    tmp_path: Path, args: list[str], code: int, expected: str
) -> None:
    # The console script ends the process without Python's finalisation (cli.command).
    ended = subprocess.run(
        [sys.executable, "-c", COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert ended.returncode == code, ended.stderr
    assert expected in ended.stdout
    assert ended.stderr.endswith("exit handler ran\n")
    if code:
        assert ended.stderr.startswith("error: "), ended.stderr
