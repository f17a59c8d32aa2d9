"""Write outputs safely: spreadsheet-safe and byte-for-byte reproducible.

:func:`write_csv` neutralises spreadsheet formulas and :func:`read_output_csv` takes the
neutralising quote off again; :func:`write_json` writes strict JSON from numpy and
pandas values. They write into a folder or file that :mod:`segmentkit.output.atomic` swaps into
place when complete; a full disk or a forbidden location is reported as such
(:class:`~segmentkit.errors.OutputError`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import Any, Literal

import numpy as np
import pandas as pd

from segmentkit.errors import DataError
from segmentkit.output.atomic import OUTPUT_MARKER, output_error
from segmentkit.output.columnar_csv import write_columnar_csv

__all__ = [
    "read_output_csv",
    "read_run_summary",
    "replace_csv_cells",
    "write_csv",
    "write_json",
    "write_parquet",
]

logger = logging.getLogger(__name__)

_PLAIN_NUMBER = re.compile(r"^[+-]?(?=[.,]*\d)[\d.,]*([eE][+-]?\d+)?$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _needs_quote(text: str) -> bool:
    # Quotes already in front count as part of the text: "'=x" becomes "''=x", so that
    # reading back (_restore) strips exactly the one quote that was added.
    bare = text.lstrip("'")
    return bare.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(bare)


def _neutralise(value: object) -> object:
    """Prefix a string that a spreadsheet would run as a formula with ``'``."""
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def _restore(value: object) -> object:
    """Undo :func:`_neutralise`: the text as it was before it was written."""
    if isinstance(value, str) and value.startswith("'") and _needs_quote(value[1:]):
        return value[1:]
    return value


def _neutralised(column: pd.Series) -> pd.Series | None:
    """``column`` with formula-like text neutralised, or ``None`` when nothing changes.

    Text columns are checked with vectorised string methods and categoricals through
    their categories, so a million-row export costs milliseconds, not a Python call per
    cell; only mixed-type (object) columns are checked cell by cell.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = list(column.cat.categories)
        safe = [_neutralise(c) for c in categories]
        if safe == categories:
            return None
        if len(set(safe)) == len(safe):
            return column.cat.rename_categories(safe)
    elif isinstance(column.dtype, pd.StringDtype):
        quoted = column.str.startswith("'", na=False)
        bare = column.str.lstrip("'") if quoted.any() else column
        risky = bare.str.startswith(_FORMULA_START, na=False)
        if not risky.any():
            return None
        risky &= ~bare.str.match(_PLAIN_NUMBER.pattern, na=False)
        return column.mask(risky, "'" + column) if risky.any() else None
    cells = column.astype(object)
    safe_cells = cells.map(_neutralise)
    return None if safe_cells.equals(cells) else safe_cells


def _has_carriage_return(frame: pd.DataFrame) -> bool:
    if any(isinstance(c, str) and "\r" in c for c in frame.columns):
        return True
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        kind = column.dtype
        if pd.api.types.is_numeric_dtype(kind):
            continue
        if isinstance(kind, pd.CategoricalDtype):
            values: Any = pd.Series(column.cat.categories, dtype=object)
        else:
            values = column
        if isinstance(values.dtype, pd.StringDtype):
            if values.str.contains("\r", regex=False, na=False).any():
                return True
        elif any(isinstance(v, str) and "\r" in v for v in values.astype(object)):
            return True
    return False


@contextmanager
def _writing(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn an operating-system error while writing ``path`` into one that names it."""
    try:
        yield
    except OSError as exc:
        raise output_error(exc, f"could not write {path}", path=path) from exc


def _write_columnar(frame: pd.DataFrame, path: str | os.PathLike[str], threads: int) -> bool:
    with Path(path).open("wb") as handle:
        return write_columnar_csv(frame, handle, threads=threads)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, threads: int = 1) -> None:
    """Write a frame as UTF-8 CSV that is safe to open in a spreadsheet.

    Text cells and headers starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
    return get a leading ``'`` so spreadsheets show them instead of running them as
    formulas. Numeric columns, and text that is a plain number such as ``"-12.5"``, are
    written unchanged. Lines end with LF only; the index is not written; ``frame`` is
    not modified. Text is quoted only where needed, except that a carriage return in any
    text cell makes every text cell quoted (numbers stay bare).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write.
    path : str or path-like
        Destination file; its folder must exist.
    threads : int, default 1
        Threads rendering a large table's rows side by side (the same bytes for any
        number; ``segments.csv`` uses the run's ``n_jobs``).

    Raises
    ------
    OutputError
        If the file cannot be written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_csv(pd.DataFrame({"note": ["=1+1", "-3"], "x": [-1.5, 2.0]}), folder / "t.csv")
    >>> print((folder / "t.csv").read_text(encoding="utf-8"), end="")
    note,x
    '=1+1,-1.5
    -3,2.0
    """
    out = frame.copy(deep=False)
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        kind = column.dtype
        if (
            pd.api.types.is_numeric_dtype(kind)
            or pd.api.types.is_datetime64_any_dtype(kind)
            or pd.api.types.is_timedelta64_dtype(kind)
        ):
            continue
        safe = _neutralised(column)
        if safe is not None:
            out.isetitem(i, safe.array)
    out.columns = pd.Index([_neutralise(c) for c in out.columns])
    # The csv module quotes only fields holding the line terminator, so a bare "\r" in a
    # text cell would end the row for every reader; quote all text in that case.
    quoting: Literal[0, 2] = (
        csv.QUOTE_NONNUMERIC if _has_carriage_return(out) else csv.QUOTE_MINIMAL
    )
    with _writing(path):
        # pyarrow renders a table column by column (10x faster on 10,000,000 rows), with
        # the same bytes; pandas writes what it cannot render exactly (see columnar_csv).
        written = quoting == csv.QUOTE_MINIMAL and _write_columnar(out, path, threads)
        if not written:
            out.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", quoting=quoting)


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a frame as one Parquet file: its columns with their types, no index.

    Text stays as it is (no formula neutralisation: spreadsheets do not open Parquet);
    the file is compressed with zstd and written as one row group per million rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write; not modified.
    path : str or path-like
        Destination file; its folder must exist.

    Raises
    ------
    OutputError
        If the file cannot be written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    with _writing(path):
        pq.write_table(table, path, compression="zstd", row_group_size=1_000_000)


def _jsonable(value: Any) -> Any:
    """Make containers JSON-ready: str keys, and null for NaN/inf (strict JSON)."""
    if isinstance(value, dict):
        return {_json_key(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_key(key: object) -> object:
    if isinstance(key, str | int | float | bool) or key is None:
        return key
    return _json_default(key)


def _json_default(value: Any) -> Any:
    """Convert what :func:`json.dumps` cannot encode itself (numpy, pandas, paths)."""
    if isinstance(value, np.ndarray | pd.Series | pd.Index):
        return _jsonable(value.tolist())
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, np.timedelta64):
        return None if np.isnat(value) else pd.Timedelta(value).isoformat()
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return pd.Timedelta(value).isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, set | frozenset):
        return _jsonable(sorted(value, key=repr))
    raise TypeError(f"cannot write {type(value).__name__} to JSON: {value!r}")


def write_json(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` as indented UTF-8 JSON with a trailing newline.

    Keys keep their order; numpy scalars and arrays, pandas timestamps, series and
    missing values, dates and paths are converted; NaN and infinities become ``null`` so
    the file is strict JSON.

    Parameters
    ----------
    obj : object
        Data made of dicts, lists and scalars.
    path : str or path-like
        Destination file; its folder must exist.

    Raises
    ------
    OutputError
        If the file cannot be written.
    TypeError
        If ``obj`` holds a value with no JSON form (a bug in the caller).
    """
    text = json.dumps(
        _jsonable(obj),
        indent=2,
        sort_keys=False,
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )
    with _writing(path), Path(path).open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text + "\n")


def read_output_csv(path: str | os.PathLike[str], *, text: bool = False) -> pd.DataFrame:
    """Read back a CSV this module wrote: only empty cells are missing.

    Text such as ``"NA"`` or ``"None"`` (a segment or category name) stays the text it is,
    and the ``'`` that :func:`write_csv` put before formula-like text is removed again,
    so names and values read back exactly as they were written.

    Parameters
    ----------
    path : str or path-like
        A CSV written by :func:`write_csv`.
    text : bool
        Read every cell as text (nothing is missing, nothing is a number).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_csv(pd.DataFrame({"=h": ["=1+1", "'=x", "-3"]}), path)
    >>> read_output_csv(path).to_dict("list")
    {'=h': ['=1+1', "'=x", '-3']}
    """
    if text:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    else:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    frame.columns = pd.Index([_restore(c) for c in frame.columns])
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            quoted = column.map(lambda v: isinstance(v, str) and v.startswith("'"))
            if quoted.any():
                frame.isetitem(i, column.map(_restore).array)
    return frame


def read_run_summary(
    folder: Path, needed: Iterable[str], *, hint: str, absent_hint: str | None = None
) -> dict[str, Any]:
    """Read ``run.json`` of a finished output folder that holds every ``needed`` file.

    Parameters
    ----------
    folder : Path
        The output folder.
    needed : iterable of str
        Files the caller reads besides ``run.json``'s summary.
    hint : str
        What to do when files are missing.
    absent_hint : str, optional
        What to do when the folder does not exist.

    Raises
    ------
    DataError
        One line: the folder is absent or incomplete, or ``run.json`` lacks its
        ``methods`` and ``recommended.method``.
    """
    if not folder.is_dir():
        raise DataError(f"output folder not found: {folder}", hint=absent_hint)
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise DataError(
            f"{folder} is not a complete segmentkit output folder (missing {', '.join(missing)})",
            hint=hint,
        )
    try:
        summary = json.loads((folder / OUTPUT_MARKER).read_text(encoding="utf-8"))
        str(summary["recommended"]["method"]), dict(summary["methods"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(f"cannot read {folder / OUTPUT_MARKER}: {error}") from None
    return dict(summary)


def _csv_records(lines: Iterable[str]) -> Iterator[str]:
    """Whole CSV records, line ending included: a quoted cell may hold line breaks."""
    pending = ""
    for line in lines:
        pending += line
        # Quotes inside a quoted cell are doubled, so an odd count means one is still open.
        if pending.count('"') % 2 == 0:
            yield pending
            pending = ""
    if pending:
        yield pending


def _raw_cells(record: str) -> list[str]:
    """Split one record into its cells exactly as written (quotes kept)."""
    body = record.removesuffix("\n")
    if '"' not in body:
        return body.split(",")
    cells, start, quoted = [], 0, False
    for position, character in enumerate(body):
        if character == '"':
            quoted = not quoted
        elif character == "," and not quoted:
            cells.append(body[start:position])
            start = position + 1
    cells.append(body[start:])
    return cells


def _cell_text(raw: str) -> str:
    """Return a cell's text as :func:`read_output_csv` reads it."""
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        raw = raw[1:-1].replace('""', '"')
    return str(_restore(raw))


def _quoted_cell(text: str, quote_all: bool) -> str:
    """``text`` as :func:`write_csv` writes a text cell (neutralised, quoted when needed)."""
    safe = str(_neutralise(text))
    if quote_all or any(character in safe for character in ',"\r\n'):
        return '"' + safe.replace('"', '""') + '"'
    return safe


def _same_cell(text: str, wanted: str) -> bool:
    if text == wanted:
        return True
    try:  # 2 and 2.0: a whole-number column with a gap is written as floats
        return float(text) == float(wanted)
    except ValueError:
        return False


def replace_csv_cells(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    column: str,
    value: str,
    where: Mapping[str, str],
) -> int:
    """Copy a CSV written by :func:`write_csv`, with new text in one column of some rows.

    Every other byte is copied as it is: the file is not parsed into a table and written
    again, which could change how ids, numbers or quotes are written. The new text is
    neutralised and quoted exactly as :func:`write_csv` would write it.

    Parameters
    ----------
    source, target : str or path-like
        The CSV to read and the file to write (different files).
    column : str
        The column to change (its header as read back, without a neutralising quote).
    value : str
        The new text.
    where : mapping
        Column to cell text: a row changes when every named cell holds that text
        (numbers compare as numbers, so ``"2"`` matches ``2.0``).

    Returns
    -------
    int
        The number of rows changed.

    Raises
    ------
    ValueError
        When a column is missing or a row does not have as many cells as the header.
    OutputError
        When the target cannot be written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_csv(pd.DataFrame({"id": ["007", "8"], "segment": [1, 2], "name": ["a", "b"]}),
    ...           folder / "in.csv")
    >>> replace_csv_cells(folder / "in.csv", folder / "out.csv", column="name",
    ...                   value="=x, y", where={"segment": "2"})
    1
    >>> print((folder / "out.csv").read_text(encoding="utf-8"), end="")
    id,segment,name
    007,1,a
    8,2,"'=x, y"
    """
    with (
        _writing(target),
        Path(source).open(encoding="utf-8", newline="") as reader,
        Path(target).open("w", encoding="utf-8", newline="") as writer,
    ):
        records = _csv_records(reader)
        header_record = next(records, "")
        writer.write(header_record)
        header = _raw_cells(header_record)
        names = [_cell_text(cell) for cell in header]
        missing = [c for c in [column, *where] if c not in names]
        if missing:
            raise ValueError(f"{source} has no column {', '.join(map(repr, missing))}")
        position = names.index(column)
        tests = [(names.index(c), wanted) for c, wanted in where.items()]
        # Under QUOTE_NONNUMERIC (used when some text holds a carriage return) every
        # text cell is quoted, the header's included.
        special = any(character in column for character in ',"\r\n')
        quote_all = header[position].startswith('"') and not special
        new_cell = _quoted_cell(value, quote_all)
        changed = 0
        for number, record in enumerate(records, start=2):
            cells = _raw_cells(record)
            if len(cells) != len(header):
                raise ValueError(
                    f"{source}, record {number}: {len(cells)} cells, the header has {len(header)}"
                )
            if all(_same_cell(_cell_text(cells[i]), wanted) for i, wanted in tests):
                cells[position] = new_cell
                ending = "\n" if record.endswith("\n") else ""
                record = ",".join(cells) + ending
                changed += 1
            writer.write(record)
    return changed
