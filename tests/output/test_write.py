"""Tests for segmentkit.output.write: the CSV and JSON writers and the CSV cell rewrite.

Every text cell a spreadsheet would run as a formula is written with a leading quote
(``write_csv``); ``read_output_csv`` takes it off again.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segmentkit.errors import DataError
from segmentkit.output.write import read_output_csv, replace_csv_cells, write_csv, write_json

# ------------------------------------------------------------------------- write_csv


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_write_csv_neutralises_formulas(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "=HEADER()": ["=1+1", "@x", "-cmd", "+x", "\tx", "\rx", "-3", "-12.5", "plain"],
            "amount": [-12.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, -8.0],
            "n": [-1, 2, 3, 4, 5, 6, 7, 8, 9],
        }
    )
    path = tmp_path / "o.csv"
    write_csv(frame, path)
    rows = read_rows(path)
    assert rows[0] == ["'=HEADER()", "amount", "n"]
    assert [r[0] for r in rows[1:]] == [
        "'=1+1",
        "'@x",
        "'-cmd",
        "'+x",
        "'\tx",
        "'\rx",
        "-3",
        "-12.5",
        "plain",
    ]
    assert [r[1] for r in rows[1:]] == [
        "-12.5",
        "1.0",
        "2.0",
        "3.0",
        "4.0",
        "5.0",
        "6.0",
        "7.0",
        "-8.0",
    ]
    assert rows[1][2] == "-1"
    # A bare carriage return must not end the row: all text is quoted, numbers are not.
    assert path.read_text(encoding="utf-8").splitlines()[1] == '"\'=1+1",-12.5,-1'


def test_write_csv_quotes_only_when_needed(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    write_csv(pd.DataFrame({"a": ["x,y", "-3", "=z"], "b": [1, 2, 3]}), path)
    assert path.read_text(encoding="utf-8") == 'a,b\n"x,y",1\n-3,2\n\'=z,3\n'


def test_write_csv_format(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [0.1 + 0.2, 1e-20], "name": ["Zoë", None]}, index=[5, 6])
    path = tmp_path / "o.csv"
    write_csv(frame, path)
    assert path.read_bytes() == "x,name\n0.30000000000000004,Zoë\n1e-20,\n".encode()


def test_write_csv_mixed_object_and_categorical(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "mixed": pd.Series([-5, "-x", 2.5], dtype=object),
            "cat": pd.Categorical(["=a", "b", "=a"]),
        }
    )
    path = tmp_path / "o.csv"
    write_csv(frame, path)
    assert read_rows(path)[1:] == [["-5", "'=a"], ["'-x", "b"], ["2.5", "'=a"]]


def test_write_csv_input_not_modified(tmp_path: Path) -> None:
    frame = pd.DataFrame({"=h": ["=1+1", "-cmd"], "v": [-1.5, 2.0]})
    before = frame.copy(deep=True)
    write_csv(frame, tmp_path / "o.csv")
    pd.testing.assert_frame_equal(frame, before)
    assert list(frame.columns) == ["=h", "v"]


def test_write_csv_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"could not write .*missing"):
        write_csv(pd.DataFrame({"a": [1]}), tmp_path / "missing" / "o.csv")


# ------------------------------------------------------------------------ write_json


def test_write_json_converts_numpy_pandas_and_paths(tmp_path: Path) -> None:
    obj = {
        "z_first": 1,
        "count": np.int64(3),
        "share": np.float32(0.5),
        "flag": np.bool_(True),
        "values": np.array([1.5, np.nan]),
        "when": pd.Timestamp("2024-01-02 03:04:05"),
        "day": np.datetime64("2024-01-02"),
        "missing": pd.NaT,
        "nan": float("nan"),
        "file": Path("out") / "a.csv",
        "series": pd.Series([1, 2]),
        "name": "Zoë",
        np.int64(7): "numpy key",
    }
    path = tmp_path / "o.json"
    write_json(obj, path)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert '\n  "z_first": 1,\n' in text  # indent=2
    assert '"Zoë"' in text  # ensure_ascii=False
    assert "NaN" not in text
    loaded = json.loads(text)
    assert list(loaded) == list(map(str, obj))  # insertion order kept
    assert loaded == {
        "z_first": 1,
        "count": 3,
        "share": 0.5,
        "flag": True,
        "values": [1.5, None],
        "when": "2024-01-02T03:04:05",
        "day": "2024-01-02T00:00:00",
        "missing": None,
        "nan": None,
        "file": str(Path("out") / "a.csv"),
        "series": [1, 2],
        "name": "Zoë",
        "7": "numpy key",
    }


def test_write_json_rejects_unknown_types(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="object"):
        write_json({"x": object()}, tmp_path / "o.json")


def test_write_json_input_not_modified(tmp_path: Path) -> None:
    obj = {"a": [float("nan"), 1.0]}
    write_json(obj, tmp_path / "o.json")
    assert np.isnan(obj["a"][0])


# ------------------------------------------------------------------- replace_csv_cells


def test_replace_csv_cells_keeps_every_other_byte(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": ["007", "=x", "3"],
            "note": ['multi\nline, with "quotes"', "-", "carriage\rreturn"],
            "segment": [1, 2, 1],
            "segment_name": ["Old", "Other", "Old"],
            "score": [0.1, -2.5, 1e-300],
        }
    )
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(frame, source)
    changed = replace_csv_cells(
        source, target, column="segment_name", value='@New, "one"', where={"segment": "1"}
    )
    assert changed == 2
    expected_path = tmp_path / "expected.csv"
    write_csv(frame.assign(segment_name=['@New, "one"', "Other", '@New, "one"']), expected_path)
    assert target.read_bytes() == expected_path.read_bytes()
    assert read_output_csv(target)["segment_name"].tolist()[0] == '@New, "one"'


def test_replace_csv_cells_needs_the_columns(tmp_path: Path) -> None:
    write_csv(pd.DataFrame({"a": [1]}), tmp_path / "in.csv")
    with pytest.raises(ValueError, match="no column 'name'"):
        replace_csv_cells(tmp_path / "in.csv", tmp_path / "o.csv", column="name", value="x",
                          where={})  # fmt: skip
