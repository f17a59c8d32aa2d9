"""Tests for segmentkit.output.columnar_csv: pyarrow writes the bytes pandas' to_csv writes.

Each frame is written twice, by :func:`write_columnar_csv` and by ``DataFrame.to_csv``
with write_csv's settings, and the bytes compared; kinds only pandas renders are refused.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segmentkit.output import columnar_csv
from segmentkit.output.columnar_csv import write_columnar_csv
from segmentkit.output.write import write_csv

HOSTILE = [
    "=1+1", "+x", "-cmd", "@a", "\tq", "-3", "-12.5", "'=x", "a,b", 'say "hi"', "line\nbreak",
    "ünï©ødé 😀", "", " pad ", "None", "NA", "nan", "1e5", ",", '"', "''", "plain",
]  # fmt: skip


def pandas_bytes(frame: pd.DataFrame) -> bytes:
    handle = io.BytesIO()
    frame.to_csv(
        handle, index=False, encoding="utf-8", lineterminator="\n", quoting=csv.QUOTE_MINIMAL
    )
    return handle.getvalue()


def columnar_bytes(frame: pd.DataFrame) -> bytes | None:
    handle = io.BytesIO()
    return handle.getvalue() if write_columnar_csv(frame, handle) else None


def hostile_frame(n: int = 2_000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    texts = [HOSTILE[i % len(HOSTILE)] for i in range(n)]
    return pd.DataFrame(
        {
            "id": texts,
            "object": pd.Series([t if i % 7 else None for i, t in enumerate(texts)], dtype=object),
            "str": pd.Series(
                [t if i % 5 else None for i, t in enumerate(texts[::-1])], dtype="str"
            ),
            "category": pd.Categorical([t if i % 11 else None for i, t in enumerate(texts)]),
            "category_int": pd.Categorical(rng.integers(0, 5, n)),
            "bool": rng.random(n) > 0.5,
            "int": rng.integers(-(10**12), 10**12, n),
            "uint8": rng.integers(0, 255, n).astype(np.uint8),
            "float": rng.normal(0, 1, n) * 10.0 ** rng.integers(-8, 20, n),
            "float_nan": np.where(rng.random(n) > 0.8, np.nan, rng.random(n)),
            "float_whole": np.round(rng.normal(0, 1e6, n)),
        }
    )


def test_hostile_text_numbers_and_missing_values_match_pandas() -> None:
    frame = hostile_frame()
    written = columnar_bytes(frame)
    assert written is not None
    assert written == pandas_bytes(frame)
    # Quoted cells went through the compute kernels: the comma, quote and line break.
    assert b'"a,b"' in written and b'"say ""hi"""' in written and b'"line\nbreak"' in written


def test_plain_rows_use_the_csv_writer_and_match_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = hostile_frame().drop(columns=["id", "object", "str", "category"])
    joined: list[int] = []
    original = columnar_csv._joined_rows
    monkeypatch.setattr(
        columnar_csv, "_joined_rows", lambda cells: joined.append(1) or original(cells)
    )
    assert columnar_bytes(frame) == pandas_bytes(frame)
    assert joined == []  # no cell needed quotes: pyarrow's CSV writer wrote every row


@pytest.mark.parametrize(
    "values",
    [
        [2.0, 1e-05, 1e16, 1.5e16, 123456789012345.6, 0.1, 1 / 3, 1e-4, 9.999e-5, -0.0, 0.0],
        [np.inf, -np.inf, np.nan, 1e22, 5e-324, 1.7976931348623157e308, 100.0, 1e15],
        [9999999999999998.0, 1234567890123456.0, -1e-4, 0.00012, 123456789.0],
    ],
)
def test_floats_are_written_as_repr(values: list[float]) -> None:
    frame = pd.DataFrame({"x": np.array(values), "y": 1})
    text = columnar_bytes(frame)
    assert text is not None
    expected = ["" if np.isnan(v) else repr(v) for v in values]
    assert text.decode().splitlines()[1:] == [f"{e},1" for e in expected]
    assert text == pandas_bytes(frame)


def test_random_bit_patterns_and_decimals_match_pandas() -> None:
    rng = np.random.default_rng(7)
    n = 300_000  # two chunks of rows
    frame = pd.DataFrame(
        {
            "bits": rng.integers(0, 2**63, n, dtype=np.int64).view(np.float64),
            "decimals": np.round(rng.normal(0, 1, n) * 10.0 ** rng.integers(0, 8, n))
            / 10.0 ** rng.integers(-12, 14, n),
        }
    )
    assert columnar_bytes(frame) == pandas_bytes(frame)


@pytest.mark.parametrize(
    "column",
    [
        pd.array([1, None, 3], dtype="Int64"),
        pd.array([True, None, False], dtype="boolean"),
        np.array([0.5, 0.25, 1.0], dtype=np.float32),
        pd.date_range("2020-01-01", periods=3),
        pd.Series([1, "a", 2.5], dtype=object),
    ],
    ids=["Int64", "boolean", "float32", "datetime", "mixed-object"],
)
def test_kinds_only_pandas_renders_are_refused(column: object) -> None:
    assert columnar_bytes(pd.DataFrame({"x": column, "y": [1, 2, 3]})) is None


def test_one_column_and_non_text_labels_are_refused() -> None:
    assert columnar_bytes(pd.DataFrame({"x": ["", "a"]})) is None
    assert columnar_bytes(pd.DataFrame({0: [1], 1: [2]})) is None


def test_write_csv_bytes_are_pandas_bytes_for_a_neutralised_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = hostile_frame(500)
    write_csv(frame, tmp_path / "fast.csv")
    monkeypatch.setattr("segmentkit.output.write.write_columnar_csv", lambda f, h, **_: False)
    write_csv(frame, tmp_path / "pandas.csv")
    fast, slow = (tmp_path / "fast.csv").read_bytes(), (tmp_path / "pandas.csv").read_bytes()
    assert fast == slow
    assert b"'=1+1" in fast and b"\n-3," in fast  # formulas neutralised, numbers not


@pytest.mark.parametrize("threads", [2, 3])
def test_blocks_rendered_side_by_side_are_written_in_order(
    monkeypatch: pytest.MonkeyPatch, threads: int
) -> None:
    # Blocks of 97 rows: 21 of them, some needing quotes, several held at once.
    monkeypatch.setattr(columnar_csv, "_CHUNK_ROWS", 97)
    frame = hostile_frame()
    handle = io.BytesIO()
    assert write_columnar_csv(frame, handle, threads=threads)
    assert handle.getvalue() == pandas_bytes(frame)
