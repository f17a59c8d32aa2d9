"""Tests for sources.table_layout: whitespace-aligned tables, missing headers, padded codes."""

from __future__ import annotations

import pandas as pd
import pytest

from segmentkit.sources.table_layout import (
    WhitespaceLayout,
    detect_whitespace_layout,
    looks_headerless,
    padded_code_columns,
    sample_lines,
)


def lines_of(text: str) -> list[str]:
    return sample_lines(text, 32_768, 200)


def test_sample_lines_drop_blank_lines_and_a_cut_last_line() -> None:
    assert sample_lines("a b\r\n\r\n1 2\r\n3 4\r\n", 100, 10) == ["a b", "1 2", "3 4"]
    # Cut after 9 characters: "3 4" is incomplete and left out.
    assert sample_lines("a b\n1 2\n3 4 5 6\n", 9, 10) == ["a b", "1 2"]
    assert sample_lines("a\nb\nc\n", 100, 2) == ["a", "b"]


def test_runs_of_spaces_cdnow_master_header() -> None:
    # The header is not aligned with the values, but every line has four fields.
    text = " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n"
    layout = detect_whitespace_layout(
        lines_of(text + " 00002 19970112  1   12.00\r\n"), forced=False
    )
    assert layout == WhitespaceLayout()
    assert layout.split(" 00001 19970101  1   11.77") == ["00001", "19970101", "1", "11.77"]


def test_to_string_with_index_and_simple_names() -> None:
    frame = pd.DataFrame({"a": [1, 22], "b": ["x", "y"]})
    lines = lines_of(frame.to_string())
    layout = detect_whitespace_layout(lines, forced=False)
    assert layout == WhitespaceLayout(index_column=True)
    assert layout.records(lines) == [["", "a", "b"], ["0", "1", "x"], ["1", "22", "y"]]


def test_to_string_with_spaces_in_names_and_values_is_fixed_width() -> None:
    frame = pd.DataFrame(
        {
            "Annual Income (k$)": [15, 137],
            "name": ["Ann Lee", "Bo"],
            "city": ["New York", "Rome"],
        }
    )
    for text, label in ((frame.to_string(), [""]), (frame.to_string(index=False), [])):
        lines = lines_of(text)
        layout = detect_whitespace_layout(lines, forced=False)
        assert layout is not None and layout.spans is not None
        records = layout.records(lines)
        assert records[0] == [*label, "Annual Income (k$)", "name", "city"]
        assert records[1][len(label) :] == ["15", "Ann Lee", "New York"]
        assert records[2][len(label) :] == ["137", "Bo", "Rome"]


@pytest.mark.parametrize(
    "text",
    [
        "name\nAnn Lee\nBo Li\n",  # one column of names: no numbers, not a table
        "first last\nAnn Lee\nBo Li\n",
        "spend\n1 200\n3 400\n",  # one named column cannot have a row label
        "id\n1\n2\n",
        "a\tb\n1\t2\n",  # tabs: the delimiter detection's business
    ],
)
def test_not_whitespace_tables(text: str) -> None:
    assert detect_whitespace_layout(lines_of(text), forced=False) is None


def test_forced_falls_back_to_runs_of_spaces() -> None:
    assert detect_whitespace_layout(["name", "Ann Lee"], forced=True) == WhitespaceLayout()


def test_headerless() -> None:
    cdnow = [
        ["00004", "0001", "19970101", "2", "29.33"],
        ["00021", "0002", "19970101", "3", "63.34"],
    ]
    assert looks_headerless(cdnow)
    assert not looks_headerless([["id", "spend"], ["1", "2"]])
    # Numbers over text: a header (years as names), not data.
    assert not looks_headerless([["2023", "2024"], ["a", "b"], ["c", "d"]])
    assert not looks_headerless([["1"], ["2"]])  # one column: cannot tell


def test_padded_code_columns() -> None:
    rows = [
        ["0001", "5", "0.5", "-01", "0"],
        ["0002", "07", "1.5", "2", "0"],
        ["0010", "", "0", "3", "1"],
    ]
    assert padded_code_columns(rows) == [0, 1]
    assert padded_code_columns([["1", "a"], ["2", "b"]]) == []
