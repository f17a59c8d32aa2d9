"""The dialect of a text table: its delimiter and its decimal mark.

The delimiter is detected among ``, ; tab |`` on the first records (else a
whitespace-aligned layout from :mod:`segmentkit.sources.table_layout`); a decimal comma
(``1.234,56``) is detected when the delimiter is not ``,``.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from segmentkit.sources.notes import ReadNotes
from segmentkit.sources.table_layout import (
    WHITESPACE,
    WhitespaceLayout,
    detect_whitespace_layout,
    sample_lines,
)

__all__ = [
    "SAMPLE_CHARS",
    "SAMPLE_RECORDS",
    "choose_delimiter",
    "convert_thousands",
    "detect_decimal",
    "sample_records",
]

_DELIMITERS = (",", ";", "\t", "|")
#: The dialect, header and codes are judged on at most this many characters of the text ...
SAMPLE_CHARS = 32_768
#: ... and at most this many records (rows of a workbook sheet too).
SAMPLE_RECORDS = 200
_COMMA_DECIMAL = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+),\d+$")
_DOT_DECIMAL = re.compile(r"^[+-]?\d+\.\d+$")
_DOT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
_EU_NUMBER = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")


def choose_delimiter(
    path: Path, text: str, fmt: str, notes: ReadNotes, forced: str | None
) -> tuple[str, WhitespaceLayout | None]:
    """Return the delimiter (or ``WHITESPACE`` and its layout) of decoded text."""
    if forced is not None:
        notes.add(logging.INFO, "%s: read with delimiter %r (as asked)", path, forced)
        if forced != WHITESPACE:
            return forced, None
        lines = sample_lines(text, SAMPLE_CHARS, SAMPLE_RECORDS)
        return WHITESPACE, detect_whitespace_layout(lines, forced=True) or WhitespaceLayout()
    if fmt == "tsv":
        return "\t", None
    detected = _detect_delimiter(text)
    if detected is not None:
        if detected != ",":
            notes.add(logging.INFO, "%s: detected delimiter %r", path, detected)
        return detected, None
    lines = sample_lines(text, SAMPLE_CHARS, SAMPLE_RECORDS)
    layout = detect_whitespace_layout(lines, forced=False)
    if layout is not None:
        notes.add(
            logging.INFO,
            "%s: detected a whitespace-aligned table (%s); force another reading with "
            "--delimiter (input.delimiter)",
            path,
            layout.describe(),
        )
        return WHITESPACE, layout
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    if not any(d in first_line for d in _DELIMITERS):
        notes.add(logging.INFO, "%s: no delimiter in the header; read one column", path)
    else:
        notes.add(
            logging.WARNING,
            "%s: no consistent delimiter among , ; tab |; assumed ','",
            path,
        )
    return ",", None


def sample_records(text: str, delimiter: str) -> list[list[str]]:
    """Parse the start of ``text`` into non-blank records (quote-aware)."""
    truncated = len(text) > SAMPLE_CHARS
    sample = text[:SAMPLE_CHARS]
    if truncated:
        sample = sample[: sample.rfind("\n") + 1] or sample
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
            if record and any(field.strip() for field in record):
                records.append(record)
            if len(records) > SAMPLE_RECORDS:
                break
    except csv.Error:
        pass  # a bad record ends the sample; pandas reports it with its line later
    if truncated and len(records) > 1:
        records.pop()  # may be cut mid-record
    return records[:SAMPLE_RECORDS]


def _detect_delimiter(text: str) -> str | None:
    """Pick the candidate that splits the first records into the same number of fields.

    Step 1: score each candidate by (share of records with the most common field count,
    that count), counting fields with the csv module so quoted delimiters do not count
    and letting a trailing empty field count either way.
    Step 2: ask csv.Sniffer; keep its answer when it scores as well as the best.
    Step 3: otherwise take the first best-scoring candidate in ``, ; tab |`` order.
    """
    scores: dict[str, tuple[float, int]] = {}
    for candidate in _DELIMITERS:
        records = sample_records(text, candidate)
        widths: Counter[int] = Counter()
        for record in records:
            widths[len(record)] += 1
            if record[-1] == "":  # a trailing delimiter, or an empty last field
                widths[len(record) - 1] += 1
        if widths:
            hits, width = max((hits, width) for width, hits in widths.items())
            if width > 1 and hits >= 0.9 * len(records):
                scores[candidate] = (hits / len(records), width)
    if not scores:
        return None
    best = max(scores.values())
    try:
        sniffed = csv.Sniffer().sniff(text[:SAMPLE_CHARS], delimiters="".join(_DELIMITERS))
        if scores.get(sniffed.delimiter) == best:
            return sniffed.delimiter
    except csv.Error:
        pass  # the Sniffer gives up on many valid files; the scores decide
    return next(d for d in _DELIMITERS if scores.get(d) == best)


def detect_decimal(records: list[list[str]], delimiter: str, path: Path, notes: ReadNotes) -> str:
    """Return the decimal mark of the data records (all but the first): ``","`` or ``"."``.

    A comma-delimited table always uses ``"."``; otherwise ``","`` when values such as
    ``1.234,56`` occur and no value such as ``3.5`` contradicts them.
    """
    if delimiter == ",":
        return "."
    fields = [f.strip() for record in records[1:] for f in record]
    comma = sum(1 for f in fields if _COMMA_DECIMAL.match(f))
    dot = sum(1 for f in fields if _DOT_DECIMAL.match(f) and not _DOT_THOUSANDS.match(f))
    if comma and dot:
        notes.add(
            logging.WARNING,
            "%s mixes decimal commas (%d values) and decimal points (%d values); "
            "read with decimal '.'",
            path,
            comma,
            dot,
        )
        return "."
    if comma:
        notes.add(logging.INFO, "%s: detected decimal comma; read with decimal=','", path)
        return ","
    return "."


def convert_thousands(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Parse text columns written entirely like ``1.234,56`` as numbers.

    pandas' own ``thousands="."`` applies to every column and turns dates such as
    ``01.02.2023`` into integers, so only columns whose every value is a well-formed
    number with ``.`` thousands groups are converted here.
    """
    out = frame.copy(deep=False)
    converted: list[str] = []
    for i, name in enumerate(frame.columns):
        column = frame.iloc[:, i]
        if pd.api.types.is_numeric_dtype(column.dtype):
            continue
        values = column.dropna()
        if values.empty or not all(isinstance(v, str) and _EU_NUMBER.match(v) for v in values):
            continue
        if not any("." in v for v in values):
            continue
        plain = column.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        out.isetitem(i, pd.to_numeric(plain).to_numpy())
        converted.append(str(name))
    return out, converted
