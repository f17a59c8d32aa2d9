"""Cleaning rules for messy customer tables: each returns a new frame and says what it changed.

Every rule here is a plain function from a frame to a new frame plus log entries; none
mutates its input. ``prepare`` chains them in a fixed order.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "LARGEST_VALUE",
    "CleaningStep",
    "as_dates",
    "convert_numeric_text",
    "dates_to_days",
    "days_before",
    "holds_whole_numbers",
    "log_step",
    "normalise_categories",
    "out_of_range",
    "parse_dates",
    "parse_number",
    "parse_numbers",
]

logger = logging.getLogger(__name__)

#: The largest magnitude a feature value may have. The forests of the explain step compute
#: in float32, and squares of larger float64 values overflow while scaling; no customer
#: attribute comes near it, so a larger value is corrupt data (like an infinite one).
LARGEST_VALUE = float(np.finfo(np.float32).max)


def out_of_range(values: np.ndarray) -> np.ndarray:
    """Return a mask of the infinite values and those beyond :data:`LARGEST_VALUE`.

    Examples
    --------
    >>> out_of_range(np.array([1.0, -np.inf, 1e39, np.nan])).tolist()
    [False, True, True, False]
    """
    with np.errstate(invalid="ignore"):
        return np.abs(np.asarray(values, dtype=float)) > LARGEST_VALUE


@dataclass(frozen=True)
class CleaningStep:
    """One thing cleaning did, for the log, ``run.json`` and the report.

    Attributes
    ----------
    rule : str
        Short rule name, e.g. ``"numeric_text"``, ``"missing"``, ``"outliers"``.
    column : str or None
        The column concerned, if any.
    detail : str
        What was done, in words.
    rows : int
        How many rows (or cells) it touched.
    """

    rule: str
    column: str | None
    detail: str
    rows: int = 0


_CURRENCY = re.compile(r"[\s$€£¥₹%]|(?<=\d)'(?=\d)|^(USD|EUR|GBP|CHF)|(USD|EUR|GBP|CHF)$")
_US_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_EU_NUMBER = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")


def parse_number(text: str) -> float:
    """Parse a number written for people: currency, thousands separators, decimal commas.

    Returns ``nan`` when the text is not a number.

    Examples
    --------
    >>> [parse_number(t) for t in ["$1,200", "1.234,5", "€ 12", "(3.5)", "12%", "abc"]]
    [1200.0, 1234.5, 12.0, -3.5, 12.0, nan]
    """
    value = text.strip()
    negative = value.startswith("(") and value.endswith(")")
    if negative:
        value = value[1:-1]
    value = _CURRENCY.sub("", value)
    if value.startswith("-") or value.startswith("+"):
        sign, value = value[0], value[1:]
        negative = negative or sign == "-"
    if not value:
        return float("nan")
    if _US_NUMBER.match(value) and not (
        # "1.234" alone is ambiguous; read it as a decimal point, as Python would.
        value.count(",") == 0 and value.count(".") > 1
    ):
        number = float(value.replace(",", ""))
    elif _EU_NUMBER.match(value):
        number = float(value.replace(".", "").replace(",", "."))
    else:
        return float("nan")
    return -number if negative else number


def parse_numbers(values: pd.Series) -> pd.Series:
    """Parse every text value with :func:`parse_number`; other values stay as they are.

    Examples
    --------
    >>> parse_numbers(pd.Series(["$1,200", 3.5, None, "abc"], dtype=object)).tolist()
    [1200.0, 3.5, nan, nan]
    """
    return values.map(lambda v: parse_number(v) if isinstance(v, str) else v)


def holds_whole_numbers(values: pd.Series) -> bool:
    """Return whether ``values`` are floats that are all whole numbers (missing ones aside).

    Ids and integer codes come back as floats when a cell is blank: 1001.0 for 1001.

    Examples
    --------
    >>> holds_whole_numbers(pd.Series([1001.0, None])), holds_whole_numbers(pd.Series([1.5]))
    (True, False)
    """
    return pd.api.types.is_float_dtype(values) and bool(
        np.all(np.mod(values.dropna().to_numpy(dtype=float), 1) == 0)
    )


#: Values parsed from a large text column before deciding whether to parse all of it.
_PROBE_ROWS = 2_000


def _is_text(series: pd.Series) -> bool:
    return bool(pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series))


def convert_numeric_text(
    frame: pd.DataFrame, *, min_share: float, log: bool = True
) -> tuple[pd.DataFrame, list[CleaningStep]]:
    """Convert text columns that hold numbers (``"$1,200"``, ``"1.234,5"``) to floats.

    A column is converted when at least ``min_share`` of its non-missing values parse;
    the values that do not parse become missing and are counted.

    Parameters
    ----------
    frame : pandas.DataFrame
        Input table (not modified).
    min_share : float
        Share of non-missing values that must parse, in (0, 1].
    log : bool
        Log each conversion (:func:`log_step`); ``False`` when the caller logs the steps
        it keeps (a text id converted only to judge its role is not a change).

    Returns
    -------
    frame : pandas.DataFrame
        A copy with converted columns.
    steps : list of CleaningStep
    """
    out = frame.copy()
    steps: list[CleaningStep] = []
    for name in frame.columns:
        series = frame[name]
        if not _is_text(series):
            continue
        present = series.dropna().astype(str)
        present = present[present.str.strip() != ""]
        if present.empty:
            continue
        if len(present) > _PROBE_ROWS:
            # A seeded probe first: an id or free-text column (millions of distinct
            # values, none numeric) is ruled out without parsing every value.
            probe = present.sample(_PROBE_ROWS, random_state=0).map(parse_number)
            if probe.notna().mean() < min_share / 2:
                continue
        # Unique values keep this fast on large tables with few distinct spellings.
        uniques = pd.Series(present.unique())
        parsed_uniques = uniques.map(parse_number)
        if parsed_uniques.isna().all():
            continue
        lookup = dict(zip(uniques, parsed_uniques, strict=True))
        parsed = present.map(lookup)
        share = float(parsed.notna().mean())
        if share < min_share:
            continue
        converted = pd.Series(np.nan, index=frame.index, dtype=float)
        converted.loc[parsed.index] = parsed.to_numpy(dtype=float)
        out[name] = converted
        failed = int(parsed.isna().sum())
        detail = "numbers stored as text converted to numbers"
        if failed:
            detail += f"; {failed} value(s) that are not numbers became missing"
        steps.append(CleaningStep("numeric_text", name, detail, len(present)))
        if log:
            log_step(steps[-1])
    return out, steps


def log_step(step: CleaningStep) -> None:
    """Log a numeric-text conversion; values lost to missing are a warning (seen under -q)."""
    lost = "became missing" in step.detail
    (logger.warning if lost else logger.info)("Column %r: %s", step.column, step.detail)


def normalise_categories(
    frame: pd.DataFrame, columns: list[str]
) -> tuple[pd.DataFrame, list[CleaningStep]]:
    """Trim category values and merge spellings that differ only in case or spacing.

    Each group of variants (``"Male"``, ``" male"``, ``"MALE"``) becomes its most common
    spelling, so reports keep the data's own wording. Values become strings; missing
    values stay missing.

    Parameters
    ----------
    frame : pandas.DataFrame
        Input table (not modified).
    columns : list of str
        The categorical columns.

    Returns
    -------
    frame : pandas.DataFrame
    steps : list of CleaningStep
    """
    out = frame.copy()
    steps: list[CleaningStep] = []
    for name in columns:
        series = frame[name]
        present = series.dropna()
        if holds_whole_numbers(series):
            # Integer codes read as floats because of missing values: "1", not "1.0".
            text = present.astype("int64").astype(str)
        else:
            text = present.astype(str)
        # Work on the distinct spellings (a handful, even in millions of rows).
        codes, spellings = pd.factorize(text)
        n_rows = np.bincount(codes, minlength=len(spellings))
        trimmed = (
            pd.Series(spellings, dtype=object).str.strip().str.replace(r"\s+", " ", regex=True)
        )
        key = trimmed.str.casefold()
        counts = (
            pd.DataFrame({"key": key, "value": trimmed, "n": n_rows})
            .groupby(["key", "value"], sort=False)["n"]
            .sum()
            .sort_values(ascending=False, kind="stable")
        )
        canonical: dict[str, str] = {}
        for key_value, value in counts.index:
            canonical.setdefault(key_value, value)
        # Blank strings are missing values in disguise.
        cleaned_spellings = key.map(canonical).where(lambda v: v != "", None)
        cleaned = cleaned_spellings.to_numpy(dtype=object)[codes]
        column = pd.Series(None, index=frame.index, dtype=object)
        column.loc[present.index] = cleaned
        out[name] = column
        differs = (cleaned_spellings.fillna("\0") != pd.Series(spellings, dtype=object)).to_numpy()
        changed = int(n_rows[differs].sum())
        if changed:
            detail = f"{changed} value(s) trimmed or merged with a spelling differing in case"
            steps.append(CleaningStep("categories", name, detail, changed))
            logger.info("Column %r: %s", name, detail)
    return out, steps


#: Explicit formats tried in order; on a tie the earlier wins (ISO, then day-first).
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%m-%d-%Y",
    "%m/%d/%Y",
    "%d-%m-%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%Y%m%d",
)


def parse_dates(series: pd.Series) -> pd.Series:
    """Parse text dates with the one explicit format that reads the most values.

    Ambiguous values such as ``01-02-2024`` are read consistently with the rest of the
    column (``31-01-2024`` elsewhere means day-first). When no listed format fits,
    pandas' per-value inference is used.

    Examples
    --------
    >>> parse_dates(pd.Series(["31-01-2024", "01-02-2024"])).dt.strftime("%Y-%m-%d").tolist()
    ['2024-01-31', '2024-02-01']
    """
    text = series.astype("string").str.strip()
    present = int(text.notna().sum())
    best, best_count = None, -1
    for candidate in DATE_FORMATS:
        parsed = pd.to_datetime(text, errors="coerce", format=candidate)
        count = int(parsed.notna().sum())
        if count > best_count:
            best, best_count = parsed, count
        if count == present:
            break
    if best is not None and present and best_count >= 0.95 * present:
        return best
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.to_datetime(text, errors="coerce", format="mixed")


def as_dates(values: pd.Series) -> pd.Series:
    """Return ``values`` as dates: unchanged when they are dates, else by :func:`parse_dates`."""
    return values if pd.api.types.is_datetime64_any_dtype(values) else parse_dates(values)


def days_before(reference: pd.Timestamp, dates: pd.Series) -> pd.Series:
    """Return how many days (a float, fractions of a day kept) each date lies before ``reference``.

    Examples
    --------
    >>> days_before(pd.Timestamp("2024-01-31"), pd.Series(pd.to_datetime(["2024-01-01"]))).tolist()
    [30.0]
    """
    return (reference - dates).dt.total_seconds() / 86_400.0


def dates_to_days(
    frame: pd.DataFrame, columns: list[str]
) -> tuple[pd.DataFrame, list[CleaningStep]]:
    """Turn date columns into "days before the latest date in the column" (a number).

    Parameters
    ----------
    frame : pandas.DataFrame
        Input table (not modified).
    columns : list of str
        The date columns.

    Returns
    -------
    frame : pandas.DataFrame
    steps : list of CleaningStep
    """
    out = frame.copy()
    steps: list[CleaningStep] = []
    for name in columns:
        series = frame[name]
        parsed = as_dates(series)
        latest = parsed.max()
        out[name] = days_before(latest, parsed)
        unparsed = int(parsed.isna().sum() - series.isna().sum())
        detail = f"dates converted to days before {latest.date()}"
        if unparsed > 0:
            detail += f"; {unparsed} value(s) that are not dates became missing"
        steps.append(CleaningStep("dates", name, detail, int(parsed.notna().sum())))
        # Values lost to missing are a change to the data: a warning, visible under -q.
        (logger.warning if unparsed > 0 else logger.info)("Column %r: %s", name, detail)
    return out, steps
