"""Tests for naming segments: ``segmentkit rename`` and ``profiles.names`` (issue 16).

One small run (300 synthetic customers with a few flagged outliers, K-Means and
Agglomerative with k = 3) is made once for the module; every test that changes a folder
works on its own copy. The original problem comes first: editing
``segment_profiles.csv`` by hand changes neither ``segments.csv`` nor the model.
"""

from __future__ import annotations

import errno
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import segmentkit.output.rename
from helpers import CliResult, invoke_cli, read_run_json
from segmentkit.config import load_config
from segmentkit.datasets import make_customers
from segmentkit.describe.profiles import profile_segments
from segmentkit.describe.segment_names import apply_names, check_segment_name
from segmentkit.output.rename import rename_segment
from segmentkit.output.write import read_output_csv, write_csv
from segmentkit.pipeline import run_segmentation
from segmentkit.plots.named import redraw_named_figures
from segmentkit.scoring.model import SegmentationModel

FAST = {
    "clustering": {"methods": ["kmeans", "agglomerative"], "k": 3, "stability": {"n_resamples": 0}},
    "explain": {"n_estimators": 10, "n_repeats": 1},
    # Every method's PNGs: renaming another method's segment redraws its figures too.
    "report": {"figures": "all"},
}
NEW_NAME = "Bargain hunters"
#: The PNGs that show a method's segment names (drivers and silhouette: recommended only).
NAMED_PNGS = ("scatter", "heatmap", "sizes", "drivers", "silhouette")
LEFTOVER = re.compile(r"\.out\.(tmp|old)-[a-z0-9_]{8}")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def names_of(folder: Path, method: str = "kmeans") -> dict[int, str]:
    profiles = read_output_csv(folder / "segment_profiles.csv")
    rows = profiles[profiles["method"] == method]
    return dict(zip(rows["segment"].astype(int), rows["name"].astype(str), strict=True))


def one_error(result: CliResult, exit_code: int) -> str:
    """Failed with ``exit_code``, one ``error:`` line (the last), no traceback; the line."""
    assert result.code == exit_code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert [line for line in lines if line.startswith("error:")] == lines[-1:], result.stderr
    return lines[-1]


@dataclass(frozen=True)
class Base:
    folder: Path
    config: Path
    input: Path
    out: Path
    files: dict[str, bytes]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    folder = tmp_path_factory.mktemp("rename")
    config = folder / "fast.json"
    config.write_text(json.dumps(FAST), encoding="utf-8")
    source = folder / "customers.csv"
    make_customers(300, n_segments=3, seed=1).frame.to_csv(source, index=False)
    out = folder / "base"
    result = invoke_cli("run", source, "-c", config, "-o", out, "-q")
    assert result.code == 0, result.stderr
    assert read_run_json(out)["recommended"]["method"] == "kmeans"
    assert -2 in names_of(out), "the premise: some customers are flagged outliers"
    return Base(folder, config, source, out, snapshot(out))


@pytest.fixture
def out(base: Base, tmp_path: Path) -> Path:
    """A private copy of the base run, alone in its folder."""
    copy = tmp_path / "out"
    shutil.copytree(base.out, copy)
    return copy


def score_names(model: Path, source: Path, tmp: Path) -> pd.Series:
    result = invoke_cli("score", model, source, "-o", tmp / "scored.csv", "-q")
    assert result.code == 0, result.stderr
    return read_output_csv(tmp / "scored.csv").set_index("segment")["segment_name"]


# --------------------------------------------------------------------------- the problem


def test_editing_the_profiles_by_hand_changes_nothing_else(
    base: Base, out: Path, tmp_path: Path
) -> None:
    profiles = read_output_csv(out / "segment_profiles.csv", text=True)
    old = names_of(out)[1]
    profiles.loc[(profiles["method"] == "kmeans") & (profiles["segment"] == "1"), "name"] = NEW_NAME
    write_csv(profiles, out / "segment_profiles.csv")
    assert names_of(out)[1] == NEW_NAME
    # segments.csv, the saved model and so every score keep the automatic name.
    segments = read_output_csv(out / "segments.csv")
    assert set(segments.loc[segments["segment"] == 1, "segment_name"]) == {old}
    assert SegmentationModel.load(out / "model.skops").names["kmeans"][1] == old
    assert set(score_names(out / "model.skops", base.input, tmp_path).loc[1]) == {old}
    assert NEW_NAME not in (out / "report.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- rename via the CLI


@dataclass(frozen=True)
class Renamed:
    out: Path
    old: str
    result: CliResult
    files: dict[str, bytes]


@pytest.fixture(scope="module")
def renamed(base: Base) -> Renamed:
    out = base.folder / "renamed"
    shutil.copytree(base.out, out)
    old = names_of(out)[1]
    result = invoke_cli("rename", out, "--segment", 1, NEW_NAME)
    assert result.code == 0, result.stderr
    return Renamed(out, old, result, snapshot(out))


def test_rename_says_what_it_did(renamed: Renamed) -> None:
    assert f"Renamed kmeans segment 1: {renamed.old!r} -> {NEW_NAME!r}" in renamed.result.stdout
    assert "segments.csv" in renamed.result.stdout
    assert "model.skops" in renamed.result.stdout


def test_rename_changes_the_profile_name_and_nothing_else_there(
    base: Base, renamed: Renamed
) -> None:
    assert names_of(renamed.out) == {**names_of(base.out), 1: NEW_NAME}
    assert names_of(renamed.out, "agglomerative") == names_of(base.out, "agglomerative")
    before = base.files["segment_profiles.csv"].decode().splitlines()
    after = renamed.files["segment_profiles.csv"].decode().splitlines()
    changed = [b for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1
    assert changed[0].startswith(f"kmeans,1,{NEW_NAME},")


def test_rename_changes_segment_name_in_segments_csv_only(base: Base, renamed: Renamed) -> None:
    before = read_output_csv(base.out / "segments.csv", text=True)
    after = read_output_csv(renamed.out / "segments.csv", text=True)
    ones = before["segment"] == "1"
    assert ones.any()
    assert set(after.loc[ones, "segment_name"]) == {NEW_NAME}
    assert after.loc[~ones].equals(before.loc[~ones])
    assert after.drop(columns="segment_name").equals(before.drop(columns="segment_name"))
    # Ids, numbers and quoting of every other cell are the bytes that were there.
    lines_before = base.files["segments.csv"].decode().splitlines()
    lines_after = renamed.files["segments.csv"].decode().splitlines()
    for old_line, new_line in zip(lines_before, lines_after, strict=True):
        assert new_line == old_line.replace(renamed.old, NEW_NAME)


def test_rename_records_the_name_in_run_json(base: Base, renamed: Renamed) -> None:
    summary, original = read_run_json(renamed.out), read_run_json(base.out)
    assert original["segment_names"] == {}
    assert summary["segment_names"] == {"kmeans": {"1": NEW_NAME}}
    assert summary["methods"]["kmeans"]["explanation"]["segments"]["1"]["name"] == NEW_NAME
    # Nothing else in run.json changes.
    summary["segment_names"] = {}
    summary["methods"]["kmeans"]["explanation"]["segments"]["1"]["name"] = renamed.old
    assert summary == original


def test_rename_changes_the_model_and_the_scores(
    base: Base, renamed: Renamed, tmp_path: Path
) -> None:
    model = SegmentationModel.load(renamed.out / "model.skops")
    assert model.names["kmeans"][1] == NEW_NAME
    assert {r["segment"]: r["name"] for r in model.profiles["kmeans"]}[1] == NEW_NAME
    original = SegmentationModel.load(base.out / "model.skops")
    assert model.names["agglomerative"] == original.names["agglomerative"]
    scored = score_names(renamed.out / "model.skops", base.input, tmp_path)
    assert set(scored.loc[1]) == {NEW_NAME}
    assert renamed.old not in set(scored)


def test_rename_rerenders_the_report(renamed: Renamed) -> None:
    report = (renamed.out / "report.html").read_text(encoding="utf-8")
    assert html.escape(NEW_NAME) in report
    assert report.rstrip().endswith("</html>")
    # The report is what `segmentkit report` renders from the renamed folder.
    copy = renamed.out.parent / "renamed-report"
    shutil.copytree(renamed.out, copy)
    assert invoke_cli("report", copy).code == 0
    assert (copy / "report.html").read_bytes() == renamed.files["report.html"]


def test_rename_redraws_exactly_the_figures_with_names(base: Base, renamed: Renamed) -> None:
    changed = {
        name
        for name, data in renamed.files.items()
        if name.startswith("plots/") and base.files.get(name) != data
    }
    assert changed == {f"plots/{kind}_kmeans.png" for kind in NAMED_PNGS}
    assert set(renamed.files) == set(base.files)


#: Files that name segments besides the contract's, when the run writes them.
RULES = ("segment_rules.csv", "segment_rules.sql")


def test_only_the_named_files_change(base: Base, renamed: Renamed) -> None:
    changed = {n for n, data in renamed.files.items() if base.files[n] != data}
    assert {n for n in changed if not n.startswith("plots/")} == {
        "segment_profiles.csv",
        "segments.csv",
        "run.json",
        "model.skops",
        "report.html",
        *(name for name in RULES if name in base.files),
    }
    assert [p.name for p in renamed.out.parent.iterdir() if p.name.startswith(".renamed.")] == []


def test_rename_changes_the_segment_rules(base: Base, renamed: Renamed) -> None:
    if not all(name in base.files for name in RULES):
        pytest.skip("this build writes no segment rules")
    rules = read_output_csv(renamed.out / "segment_rules.csv")
    mine = (rules["method"] == "kmeans") & (rules["segment"] == 1)
    assert set(rules.loc[mine, "name"]) == {NEW_NAME}
    before = read_output_csv(base.out / "segment_rules.csv")
    assert rules.loc[~mine].equals(before.loc[~mine])
    sql = renamed.files["segment_rules.sql"].decode()
    old_sql = base.files["segment_rules.sql"].decode()
    assert f"-- segment 1: {NEW_NAME}" in sql
    # The recommended method's expression is written twice (segment, segment_kmeans);
    # agglomerative's, after them, keeps its own names.
    kmeans, agglomerative = sql.split('END AS "segment_kmeans"')
    old_kmeans, old_agglomerative = old_sql.split('END AS "segment_kmeans"')
    assert agglomerative == old_agglomerative
    assert old_kmeans.count(f"-- segment 1: {renamed.old}") == 2
    assert kmeans == old_kmeans.replace(f"-- segment 1: {renamed.old}", f"-- segment 1: {NEW_NAME}")


def test_redrawing_with_the_same_names_gives_the_same_pngs(out: Path, base: Base) -> None:
    written = redraw_named_figures(out, "kmeans")
    assert {p.name for p in written} == {f"{kind}_kmeans.png" for kind in NAMED_PNGS}
    assert snapshot(out) == base.files


def test_profile_shows_the_new_name(renamed: Renamed) -> None:
    result = invoke_cli("profile", renamed.out)
    assert result.code == 0
    assert NEW_NAME in result.stdout


def test_renaming_another_method_leaves_segments_csv_alone(base: Base, out: Path) -> None:
    result = invoke_cli("rename", out, "-m", "agglomerative", "-s", 0, "Loyal families")
    assert result.code == 0, result.stderr
    files = snapshot(out)
    assert files["segments.csv"] == base.files["segments.csv"]
    assert names_of(out, "agglomerative")[0] == "Loyal families"
    assert names_of(out) == names_of(base.out)
    assert read_run_json(out)["segment_names"] == {"agglomerative": {"0": "Loyal families"}}
    model = SegmentationModel.load(out / "model.skops")
    assert model.names["agglomerative"][0] == "Loyal families"
    assert model.names["kmeans"] == SegmentationModel.load(base.out / "model.skops").names["kmeans"]
    # The drivers and silhouette figures show the recommended method only.
    changed = {n for n, data in files.items() if n.startswith("plots/") and base.files[n] != data}
    assert changed == {f"plots/{k}_agglomerative.png" for k in ("scatter", "heatmap", "sizes")}


def test_renaming_to_the_same_name_writes_nothing(base: Base, out: Path) -> None:
    result = invoke_cli("rename", out, "-s", 0, names_of(out)[0])
    assert result.code == 0, result.stderr
    assert "nothing changed" in result.stdout
    assert snapshot(out) == base.files


def test_renaming_again_replaces_the_chosen_name(out: Path) -> None:
    assert invoke_cli("rename", out, "-s", 0, "First").code == 0
    # The Python API: the same, with what changed in return.
    done = rename_segment(out, 0, "  Window shoppers  ")
    assert (done.method, done.segment, done.old_name, done.new_name, done.changed) == (
        "kmeans",
        0,
        "First",
        "Window shoppers",
        True,
    )
    assert done.recommended
    assert {"segments.csv", "model.skops", "plots/drivers_kmeans.png"} <= set(done.files)
    assert read_run_json(out)["segment_names"] == {"kmeans": {"0": "Window shoppers"}}
    assert names_of(out)[0] == "Window shoppers"
    sql = out / "segment_rules.sql"
    if sql.is_file():  # segment 0 is the largest: the ELSE branch names it too
        assert sql.read_text(encoding="utf-8").count("largest segment, Window shoppers\n") == 2


# --------------------------------------------------------------------------- hostile names


FORMULA = '=HYPERLINK("http://x","click")'
SCRIPT = "<script>alert(1)</script>"


def test_names_are_data_in_csvs_report_and_scores(base: Base, out: Path, tmp_path: Path) -> None:
    assert invoke_cli("rename", out, "-s", 1, FORMULA).code == 0
    assert invoke_cli("rename", out, "-s", 2, SCRIPT).code == 0
    quoted = "\"'" + FORMULA.replace('"', '""') + '"'  # neutralised, then CSV-quoted
    for file in ("segments.csv", "segment_profiles.csv"):
        text = (out / file).read_text(encoding="utf-8")
        assert quoted in text
        assert f",{SCRIPT}," in text
    segments = read_output_csv(out / "segments.csv")
    assert set(segments.loc[segments["segment"] == 1, "segment_name"]) == {FORMULA}
    assert set(segments.loc[segments["segment"] == 2, "segment_name"]) == {SCRIPT}
    assert [names_of(out)[s] for s in (1, 2)] == [FORMULA, SCRIPT]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in report
    assert html.escape(SCRIPT, quote=False) in report
    scored = score_names(out / "model.skops", base.input, tmp_path)
    assert set(scored.loc[1]) == {FORMULA}
    assert set(scored.loc[2]) == {SCRIPT}
    assert quoted in (tmp_path / "scored.csv").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (("-s", 7, "x"), 2, "--segment 7: kmeans has no segment 7; its segments are 0, 1, 2, -2"),
        (("-s", -1, "x"), 2, "kmeans has no segment -1"),
        (("-m", "gmm", "-s", 0, "x"), 2, "--method gmm: this run has no gmm; its methods are"),
        (("-s", 0, ""), 2, "a segment name must not be empty"),
        (("-s", 0, "   "), 2, "a segment name must not be empty"),
        (("-s", 0, "two\nlines"), 2, "must be one line"),
        (("-s", 0, "x" * 101), 2, "at most 100 characters"),
        (("x",), 2, "Missing option '--segment'"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    args: tuple[object, ...], exit_code: int, message: str, out: Path, base: Base
) -> None:
    result = invoke_cli("rename", out, *args)
    assert message in one_error(result, exit_code)
    assert snapshot(out) == base.files


def test_a_name_another_segment_has_is_refused(out: Path, base: Base) -> None:
    taken = names_of(out)[2]
    line = one_error(invoke_cli("rename", out, "-s", 0, taken), 2)
    assert f"kmeans segment 2 is already called {taken!r}" in line
    assert snapshot(out) == base.files


def test_a_folder_that_is_not_an_output_is_refused(tmp_path: Path) -> None:
    line = one_error(invoke_cli("rename", tmp_path / "nowhere", "-s", 0, "x"), 1)
    assert "output folder not found" in line
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine", encoding="utf-8")
    line = one_error(invoke_cli("rename", tmp_path / "mine", "-s", 0, "x"), 1)
    assert "not a complete segmentkit output folder (missing run.json" in line
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]


def test_a_dask_output_folder_is_refused(out: Path) -> None:
    (out / "segments").mkdir()
    line = one_error(invoke_cli("rename", out, "-s", 0, "x"), 1)
    assert "--backend dask" in line
    assert "profiles.names" in line


# --------------------------------------------------------------------------- all or nothing


def test_a_full_disk_midway_leaves_the_folder_as_it_was(
    out: Path, base: Base, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    # By then the CSVs, run.json, the model and the figures are written in the new folder.
    monkeypatch.setattr(segmentkit.output.rename, "write_report", full)
    line = one_error(invoke_cli("rename", out, "-s", 1, NEW_NAME), 1)
    assert "no space left on device" in line
    assert "previous output there is unchanged" in line
    assert snapshot(out) == base.files
    assert [p.name for p in out.parent.iterdir()] == ["out"]


def test_a_bug_midway_leaves_the_folder_as_it_was(
    out: Path, base: Base, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("injected")

    monkeypatch.setattr(SegmentationModel, "save", broken)
    line = one_error(invoke_cli("rename", out, "-s", 1, NEW_NAME), 1)
    assert "RuntimeError: injected" in line
    assert snapshot(out) == base.files
    assert [p.name for p in out.parent.iterdir()] == ["out"]


KILL_BEFORE_REPORT = r"""
import os, signal, sys
import segmentkit.output.rename

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

segmentkit.output.rename.write_report = die
from segmentkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_killed_midway_leaves_the_folder_as_it_was(out: Path, base: Base) -> None:
    process = subprocess.run(
        [sys.executable, "-c", KILL_BEFORE_REPORT, "rename", str(out), "-s", "1", NEW_NAME],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=300,
        check=False,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr
    assert snapshot(out) == base.files
    beside = {p.name for p in out.parent.iterdir()} - {"out"}
    assert beside and all(LEFTOVER.fullmatch(name) for name in beside)
    # The next rename tidies what the killed one left and succeeds.
    assert invoke_cli("rename", out, "-s", 1, NEW_NAME, "-q").code == 0
    assert [p.name for p in out.parent.iterdir()] == ["out"]
    assert names_of(out)[1] == NEW_NAME


# --------------------------------------------------------------------------- profiles.names


@pytest.fixture(scope="module")
def configured(base: Base) -> Path:
    """A run whose configuration names kmeans segment 1 and the outliers."""
    config = {**FAST, "profiles": {"names": {"kmeans": {"1": NEW_NAME, "-2": "Odd ones"}}}}
    path = base.folder / "names.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    out = base.folder / "configured"
    result = invoke_cli("run", base.input, "-c", path, "-o", out, "-q")
    assert result.code == 0, result.stderr
    return out


def test_configured_names_are_used_everywhere(configured: Path, base: Base, tmp_path: Path) -> None:
    assert names_of(configured) == {**names_of(base.out), 1: NEW_NAME, -2: "Odd ones"}
    segments = read_output_csv(configured / "segments.csv")
    assert set(segments.loc[segments["segment"] == 1, "segment_name"]) == {NEW_NAME}
    assert read_run_json(configured)["segment_names"] == {
        "kmeans": {"-2": "Odd ones", "1": NEW_NAME}
    }
    assert html.escape(NEW_NAME) in (configured / "report.html").read_text(encoding="utf-8")
    assert set(score_names(configured / "model.skops", base.input, tmp_path).loc[1]) == {NEW_NAME}


def test_configured_names_and_rename_give_the_same_files(
    configured: Path, base: Base, out: Path
) -> None:
    assert invoke_cli("rename", out, "-s", 1, NEW_NAME).code == 0
    segments = (out / "segments.csv").read_bytes()
    # The unusual groups can be named too.
    assert invoke_cli("rename", out, "-s", -2, "Odd ones").code == 0
    # Outliers keep their nearest segment in segments.csv: no row is named after -2.
    assert (out / "segments.csv").read_bytes() == segments
    assert SegmentationModel.load(out / "model.skops").names["kmeans"][-2] == "Odd ones"
    same = ["segments.csv", "segment_profiles.csv", "model.skops"]
    same += [name for name in RULES if (configured / name).is_file()]
    same += [f"plots/{kind}_kmeans.png" for kind in NAMED_PNGS]
    for name in same:
        assert (out / name).read_bytes() == (configured / name).read_bytes(), name
    assert read_run_json(out)["segment_names"] == read_run_json(configured)["segment_names"]


def test_a_chosen_name_wins_over_an_equal_automatic_one(base: Base) -> None:
    config = load_config(base.config)
    run = run_segmentation(pd.read_csv(base.input), config)
    taken = run.profiles["kmeans"].names[0]
    profiles = apply_names(run.profiles["kmeans"], {1: taken})
    assert profiles.names[1] == taken
    assert profiles.names[0] == f"{taken} (2)"
    assert list(profiles.table["name"]) == [profiles.names[s] for s in profiles.table["segment"]]
    # The input is not modified.
    assert run.profiles["kmeans"].names[1] != taken
    fresh = profile_segments(run.prepared, "kmeans", run.results["kmeans"].labels, config.profiles)
    assert run.profiles["kmeans"].names == fresh.names


def test_a_configured_segment_the_run_lacks_is_a_one_line_error(base: Base, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**FAST, "profiles": {"names": {"kmeans": {"7": "x"}}}}), "utf-8")
    result = invoke_cli("run", base.input, "-c", path, "-o", tmp_path / "out", "-q")
    line = one_error(result, 2)
    assert line == (
        "error: profiles.names.kmeans.7: kmeans has no segment 7; its segments are "
        "0, 1, 2, -2 (outliers)"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("names", "problem"),
    [
        ({"kmeanz": {"1": "x"}}, "profiles.names: unknown method 'kmeanz'; choose from kmeans"),
        ({"gmm": {"1": "x"}}, "profiles.names.gmm: gmm does not run; clustering.methods is kmeans"),
        ({"kmeans": {"one": "x"}}, "profiles.names: kmeans: 'one' is not a segment number"),
        ({"kmeans": {"-3": "x"}}, "profiles.names: kmeans: no segment -3"),
        ({"kmeans": {"1": " "}}, "profiles.names: kmeans.1: a segment name must not be empty"),
        ({"kmeans": {"1": "a", "2": "a"}}, "segments 1 and 2 are both named 'a'"),
    ],
)
def test_invalid_names_in_the_config_are_reported_before_reading_data(
    names: dict[str, Any], problem: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    config = {"clustering": {"methods": ["kmeans"]}, "profiles": {"names": names}}
    path.write_text(json.dumps(config), encoding="utf-8")
    result = invoke_cli("run", tmp_path / "no-such-input.csv", "-c", path, "-o", tmp_path / "o")
    assert result.code == 2
    assert "Traceback" not in result.stderr
    assert problem in result.stderr
    assert "no-such-input" not in result.stderr


def test_check_segment_name() -> None:
    assert check_segment_name(" Bargain hunters\u00a0") == "Bargain hunters"
    assert check_segment_name("Ünïcödé 顧客") == "Ünïcödé 顧客"
    for bad in ("", "\t", "a\tb", "a\rb", None):
        with pytest.raises(ValueError, match="segment name"):
            check_segment_name(bad)


# --------------------------------------------------------------------------- --previous


@pytest.fixture(scope="module")
def carried(base: Base, renamed: Renamed) -> Path:
    """The same customers in another order, run with --previous on the renamed folder."""
    assert invoke_cli("rename", renamed.out, "-s", -2, "Odd ones", "-q").code == 0
    shuffled = base.folder / "shuffled.csv"
    pd.read_csv(base.input).sample(frac=1.0, random_state=5).to_csv(shuffled, index=False)
    out = base.folder / "carried"
    result = invoke_cli("run", shuffled, "-c", base.config, "-o", out, "--previous", renamed.out)
    assert result.code == 0, result.stderr
    return out


def test_previous_carries_the_chosen_names(
    carried: Path, renamed: Renamed, base: Base, tmp_path: Path
) -> None:
    assert names_of(carried) == names_of(renamed.out)
    assert names_of(carried)[1] == NEW_NAME
    assert names_of(carried)[-2] == "Odd ones"
    assert names_of(carried, "agglomerative") == names_of(base.out, "agglomerative")
    assert read_run_json(carried)["segment_names"] == {"kmeans": {"-2": "Odd ones", "1": NEW_NAME}}
    segments = read_output_csv(carried / "segments.csv")
    assert set(segments.loc[segments["segment"] == 1, "segment_name"]) == {NEW_NAME}
    assert set(score_names(carried / "model.skops", base.input, tmp_path).loc[1]) == {NEW_NAME}
    migration = read_output_csv(carried / "segment_migration.csv")
    row = migration[(migration["method"] == "kmeans") & (migration["new_segment"] == 1)]
    assert list(row["old_name"]) == list(row["new_name"]) == [NEW_NAME]


def test_rename_after_previous_updates_the_migration(carried: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(carried, out)
    assert invoke_cli("rename", out, "-s", 1, "Deal seekers", "-q").code == 0
    migration = read_output_csv(out / "segment_migration.csv")
    mine = (migration["method"] == "kmeans") & (migration["new_segment"] == 1)
    assert list(migration.loc[mine, "new_name"]) == ["Deal seekers"]
    assert list(migration.loc[mine, "old_name"]) == [NEW_NAME]  # the previous run's name
    before = read_output_csv(carried / "segment_migration.csv")
    assert migration.loc[~mine].equals(before.loc[~mine])


def test_renaming_another_methods_segment_draws_none_of_its_pngs_by_default(
    base: Base, tmp_path: Path
) -> None:
    config = tmp_path / "default-figures.json"
    config.write_text(json.dumps({**FAST, "report": {"figures": "recommended"}}), "utf-8")
    out = tmp_path / "out"
    assert invoke_cli("run", base.input, "-c", config, "-o", out, "-q").code == 0
    before = snapshot(out)
    assert not any(n.startswith("plots/scatter_agglomerative") for n in before)
    result = invoke_cli("rename", out, "-m", "agglomerative", "-s", 0, "Loyal families")
    assert result.code == 0, result.stderr
    after = snapshot(out)
    assert {n for n in after if n.startswith("plots/")} == {
        n for n in before if n.startswith("plots/")
    }
    assert names_of(out, "agglomerative")[0] == "Loyal families"
