"""Repairs every reader makes to a freshly parsed table: headers and spreadsheet debris.

Header names are stripped and made unique, header rows repeated mid-file (concatenated
exports) are dropped, and fully empty trailing rows and fully empty unnamed columns are
removed; each change becomes a note.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from segmentkit.errors import DataError
from segmentkit.sources.notes import ReadNotes
from segmentkit.text import listing

__all__ = [
    "drop_repeated_headers",
    "is_missing",
    "note_repeated_headers",
    "tidy",
    "unique_names",
]

_UNNAMED = re.compile(r"^Unnamed: \d+(\.\d+)?$")


def drop_repeated_headers(
    frame: pd.DataFrame, header: list[object], retype: Callable[[pd.DataFrame], pd.DataFrame]
) -> tuple[pd.DataFrame, list[int]]:
    """Drop rows whose every cell is its column's header, as in concatenated CRM exports.

    Such a row would otherwise become one fake customer and turn every numeric column
    into text. ``header`` holds the header cells as read (before stripping and
    de-duplicating); ``retype`` re-infers the dtypes of the columns the rows made text.
    Returns the frame (unchanged when there is no such row) and the 1-based positions of
    the dropped rows among the data rows.
    """
    cells = [_header_text(value) for value in header]
    if len(cells) != frame.shape[1] or not any(cells) or frame.empty:
        return frame, []
    numeric = [
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        for dtype in frame.dtypes
    ]
    match = pd.Series(True, index=frame.index)
    # Numeric columns first: in a clean file the first one usually settles it, cheaply.
    for i in sorted(range(len(cells)), key=lambda i: not numeric[i]):
        column = frame.iloc[:, i]
        wanted = (cells[i] or "").strip()
        if numeric[i]:
            # Only a numeric header (say "2023") can repeat in a column that stayed numbers.
            number = pd.to_numeric(pd.Series([wanted or None]), errors="coerce").iloc[0]
            match &= column.isna() if not wanted else column.eq(number)
        else:
            match &= (
                column.astype(object).where(column.notna(), "").astype(str).str.strip() == wanted
            )
        if not match.any():
            return frame, []
    rows = [int(pos) + 1 for pos in match.to_numpy().nonzero()[0]]
    return retype(frame.loc[~match].reset_index(drop=True)), rows


def note_repeated_headers(path: Path, rows: list[int], notes: ReadNotes) -> None:
    """Note the repeated header rows dropped (1-based data rows), the first ten by number."""
    if rows:
        shown = listing(rows, 10)
        notes.add(
            logging.WARNING,
            "Dropped %d repeated header row(s) (rows %s, counting data rows from 1) in %s",
            len(rows),
            shown,
            path,
        )


def _header_text(value: object) -> str | None:
    """Return a header cell as text, or None when it is empty."""
    if isinstance(value, str):
        return value
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def unique_names(path: Path, raw: list[object], notes: ReadNotes) -> list[str]:
    """Strip, fill and de-duplicate header names the way pandas does (``a``, ``a.1``)."""
    stripped: list[str] = []
    renamed: list[str] = []
    for i, value in enumerate(raw):
        text = _header_text(value)
        clean = text.strip() if text is not None else ""
        if text is not None and clean != text:
            renamed.append(f"{text!r} -> {clean!r}")
        stripped.append(clean or f"Unnamed: {i}")
    if renamed:
        notes.add(logging.WARNING, "%s: stripped spaces from headers %s", path, "; ".join(renamed))
    taken = set(stripped)
    unique: list[str] = []
    seen: set[str] = set()
    for name in stripped:
        candidate, n = name, 0
        # Skip suffixed names another column already has, so renaming never collides.
        while candidate in seen or (n and candidate in taken):
            n += 1
            candidate = f"{name}.{n}"
        seen.add(candidate)
        unique.append(candidate)
    dups = [f"{old!r} -> {new!r}" for old, new in zip(stripped, unique, strict=True) if old != new]
    if dups:
        notes.add(logging.WARNING, "%s: renamed duplicate headers %s", path, "; ".join(dups))
    return unique


def _is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return is_missing(value)


def is_missing(value: Any) -> bool:
    """Whether a cell is empty: ``None``, NaN, NaT or ``pd.NA`` (not an empty string)."""
    return value is None or bool(pd.api.types.is_scalar(value) and pd.isna(value))


def tidy(
    path: Path,
    frame: pd.DataFrame,
    notes: ReadNotes,
    reread: Callable[[int], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Drop trailing empty rows and empty unnamed columns, then check rows remain."""
    n_rows = len(frame)
    while n_rows and all(_is_blank(v) for v in frame.iloc[n_rows - 1]):
        n_rows -= 1
    if n_rows < len(frame):
        notes.add(logging.WARNING, "%s: dropped %d empty trailing rows", path, len(frame) - n_rows)
        # Re-reading lets pandas infer dtypes without the empty rows (ints stay ints).
        frame = reread(n_rows) if reread is not None and n_rows else frame.iloc[:n_rows]
    keep = [
        i
        for i, name in enumerate(frame.columns)
        if not (_UNNAMED.match(str(name)) and all(_is_blank(v) for v in frame.iloc[:, i]))
    ]
    if len(keep) < frame.shape[1]:
        dropped = [str(c) for i, c in enumerate(frame.columns) if i not in set(keep)]
        notes.add(logging.WARNING, "%s: dropped empty unnamed columns: %s", path, dropped)
        frame = frame.iloc[:, keep]
    unnamed = [str(c) for c in frame.columns if _UNNAMED.match(str(c))]
    if unnamed:
        notes.add(logging.WARNING, "%s: columns with data but no header: %s", path, unnamed)
    if frame.shape[1] == 0:
        raise DataError(f"{path} has no columns; expected a header row naming the columns")
    if len(frame) == 0:
        raise DataError(
            f"{path} has a header row but no data rows; expected at least one row of data",
            hint="check that the export finished and that you picked the right file",
        )
    return frame.reset_index(drop=True)
