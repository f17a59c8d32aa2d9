"""The input corpus (tests/corpus.py) through the CLI: messy files work, broken ones fail cleanly.

Every case runs ``segmentkit run`` in-process from inside the folder holding its files.
A success must report the expected row accounting in ``run.json``; a failure must print
one ``error:`` line (configuration errors: one per problem, then a summary), exit with
the documented code, leave no output folder and no temporary leftovers. No run may change
the files it started among. A failed run into a good earlier output folder leaves it
byte-identical, and CSV, Excel and Parquet versions of one table give the same segments.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from corpus import FAST, TRIO, Case, Failure, Success, build_corpus, cases

from helpers import error_lines, read_run_json
from segmentkit.cli import main

ALL = cases(include_large=True)
SUCCESSES = [c for c in ALL if isinstance(c.expect, Success)]
FAILURES = [c for c in ALL if isinstance(c.expect, Failure)]


def _param(case: Case) -> Any:
    marks = [pytest.mark.slow] if case.large else []
    if case.xfail:
        marks.append(pytest.mark.xfail(strict=True, reason=case.xfail))
    return pytest.param(case, id=case.name, marks=marks)


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    build_corpus(folder)
    return folder


@pytest.fixture(scope="module")
def outputs() -> dict[str, Path]:
    """Output folders of the successful runs so far, by case name (reused, not rerun)."""
    return {}


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder under ``folder`` with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


def _workspace(
    case: Case, corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Change into the folder with the case's files: the shared corpus or, for a large
    case or one whose run may harm its folder, a fresh folder of its own."""
    folder = corpus_dir
    if case.large or case.own_folder:
        folder = tmp_path / "input"
        folder.mkdir()
        case.write(folder)
    monkeypatch.chdir(folder)
    return folder


def run_case(case: Case, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``segmentkit run`` on the case into ``out``; return ``(code, stdout, stderr)``."""
    capsys.readouterr()
    code = main(["run", case.file, "--out", str(out), "-q", *case.args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_clean_failure(code: int, err: str, expect: Failure) -> None:
    """Exit code as documented, the expected ``error:`` line(s) last, no traceback."""
    assert code == expect.exit_code, err
    assert "Traceback" not in err
    lines = error_lines(err)
    assert len(lines) == expect.n_problems + 1, err
    assert err.strip().splitlines()[-len(lines) :] == lines, "the error lines must come last"
    assert any(re.search(expect.error, line) for line in lines), (expect.error, lines)
    if expect.n_problems:
        assert re.fullmatch(r"error: .*: \d+ invalid setting\(s\)", lines[-1]), lines[-1]


def check_success(expect: Success, code: int, err: str, out: Path) -> None:
    """Exit 0, and ``run.json`` and ``segments.csv`` account for the rows as expected."""
    assert code == 0, err
    assert "Traceback" not in err and not error_lines(err), err
    summary = read_run_json(out)
    rows = summary["rows"]
    assert (rows["read"], rows["kept"], rows["dropped"]) == (
        expect.read,
        expect.kept,
        dict(expect.dropped),
    )
    assert expect.read == expect.kept + sum(expect.dropped.values())
    segments = pd.read_csv(out / "segments.csv", keep_default_na=False, na_values=[""])
    assert len(segments) == expect.kept
    roles = {name: column["role"] for name, column in summary["columns"].items()}
    ids = [name for name, role in roles.items() if role == "id"]
    if expect.id_column is None:
        assert ids == []
        assert segments.columns[0] == "row"
        assert segments["row"].tolist() == list(range(1, expect.kept + 1))
    else:
        assert ids == [expect.id_column]
        assert segments.columns[0] == expect.id_column
        assert segments[expect.id_column].is_unique
    for name, role in expect.roles.items():
        assert roles.get(name) == role, (name, summary["columns"].get(name))
    if expect.n_features is not None:
        assert len(summary["features"]) == expect.n_features, summary["features"]
    if expect.n_model_features is not None:
        assert len(summary["model_features"]) == expect.n_model_features
    for key, value in expect.source.items():
        assert summary["input"][key] == value, (key, summary["input"])
    warnings = [line for line in err.splitlines() if line.startswith("WARNING:")]
    for pattern in expect.warnings:
        assert any(re.search(pattern, line) for line in warnings), (pattern, warnings)
    steps = [f"{s['rule']} {s['column']}: {s['detail']}" for s in summary["cleaning"]]
    for pattern in expect.cleaning:
        assert any(re.search(pattern, step) for step in steps), (pattern, steps)


def test_corpus_is_large_and_named_uniquely() -> None:
    assert len(ALL) >= 40
    assert len({c.name for c in ALL}) == len(ALL)
    assert len(SUCCESSES) >= 20 and len(FAILURES) >= 20


def test_corpus_is_deterministic(tmp_path: Path) -> None:
    first = build_corpus(tmp_path / "a")
    build_corpus(tmp_path / "b")
    assert [c.name for c in first] == [c.name for c in cases(include_large=False)]
    assert _snapshot(tmp_path / "a") == _snapshot(tmp_path / "b")


@pytest.mark.parametrize("case", [_param(c) for c in SUCCESSES])
def test_messy_input_works(
    case: Case,
    corpus_dir: Path,
    outputs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert isinstance(case.expect, Success)
    folder = _workspace(case, corpus_dir, tmp_path, monkeypatch)
    before = _snapshot(folder)
    out = tmp_path / "out"
    code, _, err = run_case(case, out, capsys)
    check_success(case.expect, code, err, out)
    assert _snapshot(folder) == before, "the run changed the files it started among"
    outputs[case.name] = out


@pytest.mark.parametrize("case", [_param(c) for c in FAILURES])
def test_broken_input_fails_cleanly(
    case: Case,
    corpus_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert isinstance(case.expect, Failure)
    folder = _workspace(case, corpus_dir, tmp_path, monkeypatch)
    before = _snapshot(folder)
    runs = tmp_path / "runs"
    runs.mkdir()
    code, out, err = run_case(case, runs / "out", capsys)
    assert_clean_failure(code, err, case.expect)
    assert out == ""
    # No output folder, no temporary sibling, nothing the user had changed.
    assert list(runs.iterdir()) == []
    assert _snapshot(folder) == before


@pytest.fixture(scope="module")
def good_output(
    corpus_dir: Path, outputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The output folder of a good run (the clean case's, when it already ran)."""
    if "clean_csv" not in outputs:
        out = tmp_path_factory.mktemp("good") / "out"
        assert main(["run", str(corpus_dir / "clean.csv"), "--out", str(out), "-q", *FAST]) == 0
        outputs["clean_csv"] = out
    return outputs["clean_csv"]


@pytest.mark.parametrize("case", [_param(c) for c in FAILURES if "--out" not in c.args])
def test_failed_run_leaves_previous_output_untouched(
    case: Case,
    corpus_dir: Path,
    good_output: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert isinstance(case.expect, Failure)
    _workspace(case, corpus_dir, tmp_path, monkeypatch)
    runs = tmp_path / "runs"
    runs.mkdir()
    shutil.copytree(good_output, runs / "out")
    before = _snapshot(runs / "out")
    assert "run.json" in before
    code, _, err = run_case(case, runs / "out", capsys)
    assert_clean_failure(code, err, case.expect)
    assert _snapshot(runs / "out") == before
    assert [p.name for p in runs.iterdir()] == ["out"]


def test_excel_parquet_and_csv_give_the_same_segments(
    corpus_dir: Path,
    outputs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    by_name = {c.name: c for c in ALL}
    frames = []
    for name in TRIO:
        case = by_name[name]
        if name not in outputs:  # run alone: the parametrised runs have not happened
            assert isinstance(case.expect, Success)
            _workspace(case, corpus_dir, tmp_path, monkeypatch)
            code, _, err = run_case(case, tmp_path / name, capsys)
            check_success(case.expect, code, err, tmp_path / name)
            outputs[name] = tmp_path / name
        summary = read_run_json(outputs[name])
        assert summary["input"]["format"] == {"csv": "csv", "xlsx": "excel"}.get(
            name.rsplit("_", 1)[1], "parquet"
        )
        segments = pd.read_csv(outputs[name] / "segments.csv")
        frames.append(segments[["customer_id", "segment", "segment_name", "is_outlier"]])
    pd.testing.assert_frame_equal(frames[0], frames[1])
    pd.testing.assert_frame_equal(frames[0], frames[2])
    assert frames[0]["segment"].nunique() == 3
