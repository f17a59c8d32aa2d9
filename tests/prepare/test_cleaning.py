"""Tests for prepare.cleaning: number parsing, numeric text, category spellings, dates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from segmentkit.prepare.cleaning import (
    convert_numeric_text,
    dates_to_days,
    normalise_categories,
    parse_dates,
    parse_number,
)

# --------------------------------------------------------------------------- parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1,200", 1200.0),
        ("1.234,5", 1234.5),
        ("(3.5)", -3.5),
        ("12%", 12.0),
        ("€ 12", 12.0),
        ("-7", -7.0),
        ("+3", 3.0),
        ("1,5", 1.5),
        ("1.234", 1.234),  # ambiguous: read as a decimal point, as Python would
        ("1.234.567", 1234567.0),
        ("1,234,567.25", 1234567.25),
        ("USD 5", 5.0),
        ("1'000", 1000.0),
        ("  42  ", 42.0),
    ],
)
def test_parse_number(text: str, expected: float) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["abc", "", "   ", "-", "12abc", "1,2,3", "$"])
def test_parse_number_not_a_number(text: str) -> None:
    assert math.isnan(parse_number(text))


# --------------------------------------------------------------------------- convert_numeric_text


def money_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            # 10 non-blank values, 9 parse, "n/a" does not; "" and None are already missing.
            "spend": [
                *["$1,200", "$300", "n/a", None, "$50", ""],
                *["$7", "$8", "$9", "$10", "$11", "$12"],
            ],
            "name": list("abcdefghijkl"),
            "age": [30, 41, 22, 35, 50, 61, 19, 28, 33, 47, 52, 38],
        }
    )


def test_convert_numeric_text_converts_money() -> None:
    out, steps = convert_numeric_text(money_frame(), min_share=0.9)
    expected = [1200.0, 300.0, np.nan, np.nan, 50.0, np.nan, 7, 8, 9, 10, 11, 12]
    np.testing.assert_array_equal(out["spend"].to_numpy(), np.array(expected, dtype=float))
    assert out["spend"].dtype == np.float64
    assert len(steps) == 1
    step = steps[0]
    assert (step.rule, step.column, step.rows) == ("numeric_text", "spend", 10)
    # Only "n/a" is a failure: None and "" were missing before conversion.
    assert "1 value(s) that are not numbers became missing" in step.detail


def test_convert_numeric_text_leaves_text_and_numbers_alone() -> None:
    frame = money_frame()
    out, steps = convert_numeric_text(frame, min_share=0.9)
    assert out["name"].tolist() == frame["name"].tolist()
    pd.testing.assert_series_equal(out["age"], frame["age"])
    assert [s.column for s in steps] == ["spend"]


def test_convert_numeric_text_respects_min_share() -> None:
    # 9 of 10 non-blank values parse: share 0.9.
    frame = money_frame()
    _, steps = convert_numeric_text(frame, min_share=0.9)
    assert [s.column for s in steps] == ["spend"]
    frame.loc[11, "spend"] = "unknown"  # now 8 of 10 parse: share 0.8
    out, steps = convert_numeric_text(frame, min_share=0.9)
    assert steps == []
    assert out["spend"].tolist() == frame["spend"].tolist()
    out, steps = convert_numeric_text(frame, min_share=0.8)
    assert [s.column for s in steps] == ["spend"]
    assert int(out["spend"].isna().sum()) == 4  # None, "", "n/a", "unknown"
    assert "2 value(s) that are not numbers became missing" in steps[0].detail


def test_convert_numeric_text_mixed_separators() -> None:
    frame = pd.DataFrame({"amount": ["1.234,5", "€ 12", "(3.5)", "12%", "-7"]})
    out, _ = convert_numeric_text(frame, min_share=1.0)
    assert out["amount"].tolist() == [1234.5, 12.0, -3.5, 12.0, -7.0]


def test_convert_numeric_text_ignores_id_like_text() -> None:
    frame = pd.DataFrame({"ref": ["C10001", "C10002", "C10003"]})
    out, steps = convert_numeric_text(frame, min_share=0.5)
    assert steps == []
    assert out["ref"].tolist() == ["C10001", "C10002", "C10003"]


# --------------------------------------------------------------------------- normalise_categories


def sex_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sex": [" male", "MALE", "Male", "Male", "female", "", None, "female "],
            "code": [1.0, 2.0, np.nan, 1.0, 2.0, 3.0, 1.0, 2.0],
        }
    )


def test_normalise_categories_merges_spellings() -> None:
    out, steps = normalise_categories(sex_frame(), ["sex"])
    values = out["sex"].tolist()
    # "Male" is the most frequent spelling of "male" (2 against 1 and 1).
    assert values[:5] == ["Male", "Male", "Male", "Male", "female"]
    assert values[7] == "female"
    # The blank string and None are both missing.
    assert out["sex"].isna().tolist() == [False] * 5 + [True, True, False]
    assert len(steps) == 1
    # Changed: " male", "MALE", "" (now missing), "female " (trimmed).
    assert (steps[0].rule, steps[0].column, steps[0].rows) == ("categories", "sex", 4)


def test_normalise_categories_integer_codes_as_text() -> None:
    out, steps = normalise_categories(sex_frame(), ["code"])
    assert out["code"].tolist()[:2] == ["1", "2"]
    assert out["code"].isna().tolist() == [False, False, True, False, False, False, False, False]
    assert sorted(out["code"].dropna().unique()) == ["1", "2", "3"]
    assert steps == []  # integer codes are not "changed" spellings


def test_normalise_categories_only_named_columns() -> None:
    frame = sex_frame()
    out, _ = normalise_categories(frame, ["code"])
    assert out["sex"].tolist()[:5] == frame["sex"].tolist()[:5]


# --------------------------------------------------------------------------- dates_to_days


def test_dates_to_days_iso() -> None:
    frame = pd.DataFrame({"joined": ["2024-01-31", "2024-02-01", "2024-02-15"]})
    out, steps = dates_to_days(frame, ["joined"])
    assert out["joined"].tolist() == [15.0, 14.0, 0.0]
    assert steps[0].rows == 3
    assert "2024-02-15" in steps[0].detail


def test_dates_to_days_day_first() -> None:
    # 31-01 and 15-02 can only be day-first, so 01-02-2024 is the 1st of February.
    frame = pd.DataFrame({"joined": ["31-01-2024", "01-02-2024", "15-02-2024"]})
    out, _ = dates_to_days(frame, ["joined"])
    assert out["joined"].tolist() == [15.0, 14.0, 0.0]


def test_dates_to_days_day_first_only_forms() -> None:
    # Every value is unambiguous day-first.
    frame = pd.DataFrame({"joined": ["13-01-2024", "20-01-2024", "31-01-2024"]})
    out, _ = dates_to_days(frame, ["joined"])
    assert out["joined"].tolist() == [18.0, 11.0, 0.0]


def test_dates_to_days_month_first() -> None:
    # 12/31 can only be month-first, so 01/02/2024 is the 2nd of January.
    frame = pd.DataFrame({"joined": ["12/31/2023", "01/02/2024", "01/10/2024"]})
    out, _ = dates_to_days(frame, ["joined"])
    assert out["joined"].tolist() == [10.0, 8.0, 0.0]


def test_parse_dates_one_format_for_the_column() -> None:
    # 29 day-first dates and one typo: the day-first format still reads 01-02-2024.
    days = [f"{d:02d}-01-2024" for d in range(1, 30)]
    parsed = parse_dates(pd.Series(["01-02-2024", *days[1:], "not a date"]))
    assert parsed.iloc[0] == pd.Timestamp("2024-02-01")
    assert parsed.iloc[28] == pd.Timestamp("2024-01-29")
    assert parsed.isna().tolist() == [False] * 29 + [True]


def test_dates_to_days_unparsable_and_missing() -> None:
    frame = pd.DataFrame({"joined": ["2024-03-01", None, "garbage", "2024-02-28"]})
    out, steps = dates_to_days(frame, ["joined"])
    assert out["joined"].iloc[0] == 0.0
    assert out["joined"].iloc[3] == 2.0  # 2024 is a leap year: 28 Feb, 29 Feb, 1 Mar
    assert out["joined"].isna().tolist() == [False, True, True, False]
    assert steps[0].rows == 2
    assert "1 value(s) that are not dates became missing" in steps[0].detail


def test_dates_to_days_datetime_column() -> None:
    frame = pd.DataFrame({"joined": pd.to_datetime(["2024-01-01 12:00", "2024-01-03 00:00", None])})
    out, _ = dates_to_days(frame, ["joined"])
    assert out["joined"].iloc[0] == 1.5
    assert out["joined"].iloc[1] == 0.0
    assert math.isnan(out["joined"].iloc[2])


# --------------------------------------------------------------------------- inputs untouched


def test_input_not_modified() -> None:
    frame = pd.DataFrame(
        {
            "spend": ["$1,200", "$300", "n/a", "$50"],
            "sex": [" male", "MALE", "Male", ""],
            "joined": ["31-01-2024", "01-02-2024", "15-02-2024", None],
        }
    )
    before = frame.copy()
    convert_numeric_text(frame, min_share=0.5)
    normalise_categories(frame, ["sex"])
    dates_to_days(frame, ["joined"])
    pd.testing.assert_frame_equal(frame, before)
