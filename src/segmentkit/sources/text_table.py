"""Parsing decoded CSV/TSV text (or a large file from disk) into a DataFrame.

The dialect and header are judged on the first records; pandas then parses the whole
table with them, codes written with leading zeros stay text, and the repairs of
:mod:`segmentkit.sources.repair` apply.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import re
from pathlib import Path
from typing import Any

import pandas as pd

from segmentkit.errors import DataError
from segmentkit.sources.dialect import (
    SAMPLE_CHARS,
    SAMPLE_RECORDS,
    choose_delimiter,
    convert_thousands,
    detect_decimal,
    sample_records,
)
from segmentkit.sources.notes import ReadNotes, one_line
from segmentkit.sources.repair import (
    drop_repeated_headers,
    note_repeated_headers,
    tidy,
    unique_names,
)
from segmentkit.sources.table_layout import (
    WHITESPACE,
    WhitespaceLayout,
    looks_headerless,
    padded_code_columns,
    sample_lines,
)

__all__ = ["TextSource", "read_text"]

#: A large file pandas reads from disk: ``(path, encoding)``; ``None`` for text in memory.
TextSource = tuple[Path, str] | None


def read_text(
    path: Path,
    text: str,
    fmt: str,
    notes: ReadNotes,
    source: TextSource = None,
    forced: str | None = None,
) -> tuple[pd.DataFrame, str, str]:
    """Parse decoded CSV/TSV text; return ``(frame, delimiter, decimal)``.

    ``text`` is the whole table, or with ``source`` (a large file read from disk) its
    first records, from which the delimiter, decimal mark and header are detected.
    ``forced`` is the delimiter the user asked for (``--delimiter``), if any.
    """
    delimiter, layout = choose_delimiter(path, text, fmt, notes, forced)
    records = (
        layout.records(sample_lines(text, SAMPLE_CHARS, SAMPLE_RECORDS))
        if layout is not None
        else sample_records(text, delimiter)
    )
    decimal = detect_decimal(records, delimiter, path, notes)
    split = _Split(delimiter, layout, has_header=not looks_headerless(records))
    if split.has_header:
        if layout is not None:
            header: list[object] = list(records[0]) if records else []
        else:
            raw_header = _parse_csv(path, text, split, decimal, header_only=True)
            header = list(raw_header.iloc[0]) if len(raw_header) else []
        names = unique_names(path, header, notes)
    else:
        header = []
        names = [f"column_{i + 1}" for i in range(max(len(r) for r in records))]
        notes.add(
            logging.WARNING,
            "%s has no header row (its first row holds only numbers, like the rows below "
            "it); read it as data and named the columns column_1 to column_%d",
            path,
            len(names),
        )
    data_records = records[1:] if split.has_header else records
    padded = [i for i in padded_code_columns(data_records) if i < len(names)]
    codes = [names[i] for i in padded]
    if codes:
        example = next(
            r[padded[0]].strip()
            for r in data_records
            if padded[0] < len(r)
            and r[padded[0]].strip().startswith("0")
            and len(r[padded[0]].strip()) > 1
        )
        notes.add(
            logging.INFO,
            "%s: kept %s as text: digits written with leading zeros (such as %r) are codes "
            "or ids, not amounts",
            path,
            codes,
            example,
        )
    repeated = 0  # header rows found mid-file by the full read
    retype_sep = delimiter if len(delimiter) == 1 else ","

    def parse(nrows: int | None) -> pd.DataFrame:
        nonlocal repeated
        # Repeated headers come before the trailing empty rows a re-read leaves out.
        limit = None if nrows is None else nrows + repeated
        frame = _parse_csv(
            path, source or text, split, decimal, names=names, nrows=limit, text_columns=codes
        )
        frame, rows = drop_repeated_headers(
            frame, header, lambda f: _retype_text(f, retype_sep, decimal, keep=codes)
        )
        if nrows is None:
            repeated = len(rows)
            note_repeated_headers(path, rows, notes)
        if decimal != ",":
            return frame
        frame, converted = convert_thousands(frame)
        if converted and nrows is None:
            notes.add(logging.INFO, "%s: read '.' as thousands separator in %s", path, converted)
        return frame

    return tidy(path, parse(None), notes, parse), delimiter, decimal


@dataclasses.dataclass(frozen=True)
class _Split:
    """How to parse the records of a text table."""

    delimiter: str  # one character, or WHITESPACE
    layout: WhitespaceLayout | None  # with WHITESPACE: runs of spaces or fixed-width columns
    has_header: bool


def _parse_csv(
    path: Path,
    text: str | tuple[Path, str],
    split: _Split,
    decimal: str,
    *,
    header_only: bool = False,
    names: list[str] | None = None,
    nrows: int | None = None,
    text_columns: list[str] | None = None,
) -> pd.DataFrame:
    # Text in memory, or (path, encoding): a large file pandas decodes as it reads.
    where: Any = io.StringIO(text) if isinstance(text, str) else text[0]
    encoding = None if isinstance(text, str) else text[1]
    delimiter = split.delimiter
    dtype = dict.fromkeys(text_columns, str) if text_columns else None
    header = 0 if split.has_header else None
    try:
        if header_only:
            return pd.read_csv(
                where, sep=delimiter, quotechar='"', header=None, nrows=1, dtype=str,
                keep_default_na=False, index_col=False, engine="c", encoding=encoding,
            )  # fmt: skip
        if split.layout is not None and split.layout.spans is not None:
            # pandas reads the last column to the line end when its span ends at None.
            spans: Any = list(split.layout.spans)
            return pd.read_fwf(
                where, colspecs=spans, header=header, names=names,
                index_col=False, nrows=nrows, decimal=decimal, dtype=dtype, encoding=encoding,
            )  # fmt: skip
        return pd.read_csv(
            where, sep=r"\s+" if delimiter == WHITESPACE else delimiter, quotechar='"',
            header=header, names=names, index_col=False, nrows=nrows, decimal=decimal,
            dtype=dtype, low_memory=False, engine="c", encoding=encoding,
        )  # fmt: skip
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path} is empty; expected a header row and data rows") from exc
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        detail = one_line(exc).removeprefix("Error tokenizing data. C error: ")
        hint = "check for an unclosed quote or a row with extra delimiters"
        if found := re.search(r"\bline (\d+)", detail):
            hint += f" near line {found.group(1)}"
        elif found := re.search(r"\brow (\d+)", detail):  # the C parser counts rows from 0
            hint += f" near line {int(found.group(1)) + 1}"
        if delimiter == WHITESPACE:
            hint += "; or force the delimiter with --delimiter"
        raise DataError(
            f"{path} could not be parsed as a table with delimiter {delimiter!r}: {detail}",
            hint=hint,
        ) from exc


def _retype_text(
    frame: pd.DataFrame, delimiter: str, decimal: str, keep: list[str] | None = None
) -> pd.DataFrame:
    """Re-infer the dtype of each text column with the CSV parser that read it.

    One column at a time through CSV text, so a numeric column that was text only
    because of a repeated header gets exactly the dtype a clean file would have given.
    Columns in ``keep`` (codes with leading zeros) stay text.
    """
    out = frame.copy(deep=False)
    for i in range(frame.shape[1] if len(frame) else 0):  # no rows: nothing to infer from
        column = frame.iloc[:, i]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        if keep and frame.columns[i] in keep:
            continue
        text = column.to_csv(sep=delimiter, index=False, header=False, lineterminator="\n")
        reread = pd.read_csv(
            io.StringIO(text), sep=delimiter, quotechar='"', header=None, index_col=False,
            decimal=decimal, skip_blank_lines=False, low_memory=False, engine="c",
        ).iloc[:, 0]  # fmt: skip
        out.isetitem(i, reread.array)
    return out
