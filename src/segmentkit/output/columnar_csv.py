r"""Write a table as CSV column by column with pyarrow, byte for byte as pandas would.

``DataFrame.to_csv`` formats every cell in Python: 148 s for the 10,000,000 rows of a
``segments.csv``. Here each column becomes its text in pyarrow's compute kernels (a few
column-wide operations, no Python call per cell) and pyarrow's CSV writer joins the
columns; :func:`segmentkit.output.write.write_csv` uses it for every table it can render
exactly as ``to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)`` does,
and pandas for the rest. What "exactly" needs, kind by kind:

- integers: decimal digits (pyarrow's cast is the same text);
- floats: Python's ``repr`` (``2.0``, ``1e-05``, ``1e+16``). pyarrow prints the same
  shortest digits but in its own notation (``2``, ``0.00001``); a cell whose pyarrow text
  has no exponent and whose magnitude is where ``repr`` writes no exponent either
  (``1e-4 <= |x| < 1e16``) is the same text, with ``.0`` added to whole numbers; the
  rare others are formatted by numpy as pandas does; NaN is empty;
- booleans: ``True`` / ``False``; text and text categories: as they are, missing empty;
- quotes: pyarrow's writer in quoting style ``"none"`` refuses a cell holding a comma, a
  quote or a line break, exactly the cells the csv module would quote; a block of rows
  holding one is quoted here (``"a,b"``, ``"6"" tall"``) and joined by the compute
  kernels instead.

Anything else (dates, mixed-type objects, non-text labels, nullable floats, a carriage
return anywhere, one column) is left to pandas: :func:`write_columnar_csv` returns
``False`` before writing anything.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

__all__ = ["write_columnar_csv"]

#: Rows rendered at once: their text (about 40 MB for a 17-column segments.csv) is all
#: that is held besides the table.
_CHUNK_ROWS = 250_000
_TEXT = pa.large_string()
_COMMA, _NEWLINE, _NOTHING, _QUOTE, _POINT_ZERO = (
    pa.scalar(text, _TEXT) for text in (",", "\n", "", '"', ".0")
)
#: Where ``repr`` writes a float without an exponent (and 0.0).
_FIXED_LOW, _FIXED_HIGH = 1e-4, 1e16

#: The text of rows ``start:stop`` of one column (nulls for missing cells).
ColumnText = Callable[[int, int], pa.Array]


def _float_text(values: np.ndarray) -> pa.Array:
    """Every float as ``repr`` writes it (pandas' ``astype(str)``); NaN is null."""
    text = pc.cast(pa.array(values, from_pandas=True), _TEXT)
    magnitude = np.abs(values)
    with np.errstate(invalid="ignore"):
        plain = ((magnitude >= _FIXED_LOW) & (magnitude < _FIXED_HIGH)) | (values == 0)
    plain &= ~np.asarray(pc.fill_null(pc.match_substring(text, "e"), True))
    whole = plain & ~np.asarray(pc.fill_null(pc.match_substring(text, "."), True))
    if whole.any():
        text = pc.if_else(whole, pc.binary_join_element_wise(text, _POINT_ZERO, _NOTHING), text)
    other = ~plain & ~np.isnan(values)
    if other.any():
        written = values[other].astype(str).astype(object)
        text = pc.replace_with_mask(text, pa.array(other), pa.array(written, _TEXT))
    return text


def _slice_of(array: pa.Array) -> ColumnText:
    return lambda start, stop: array.slice(start, stop - start)


def _column_text(column: pd.Series) -> ColumnText | None:
    """How to render ``column`` as pandas would, or ``None`` when only pandas can."""
    kind = column.dtype
    if isinstance(kind, pd.CategoricalDtype):
        categories = _column_text(pd.Series(kind.categories))
        if categories is None:
            return None
        names = categories(0, len(kind.categories))
        codes = column.cat.codes.to_numpy()
        return lambda start, stop: names.take(
            pa.array(codes[start:stop], mask=codes[start:stop] < 0)
        )
    if isinstance(kind, pd.StringDtype) or pd.api.types.is_object_dtype(kind):
        values = column.array if isinstance(kind, pd.StringDtype) else column.to_numpy()
        try:
            array = pa.array(values, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            return None  # mixed types: pandas writes each as str() of it
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
            return None
        return _slice_of(array)
    if not isinstance(kind, np.dtype):
        return None  # nullable extension types: pandas formats them its own way
    values = column.to_numpy()
    if kind == np.bool_:
        return lambda start, stop: pc.if_else(pa.array(values[start:stop]), "True", "False")
    if kind.kind in "iu":
        return lambda start, stop: pc.cast(pa.array(values[start:stop]), _TEXT)
    if kind == np.float64:
        return lambda start, stop: _float_text(values[start:stop])
    return None


def _quoted(text: pa.Array) -> pa.Array:
    """Cells holding a comma, quote or line break in quotes, inner quotes doubled."""
    needs = pc.match_substring_regex(text, '[,"\n]')
    if not pc.any(needs).as_py():
        return text
    quoted = pc.binary_join_element_wise(
        _QUOTE, pc.replace_substring(text, '"', '""'), _QUOTE, _NOTHING
    )
    return pc.if_else(needs, quoted, text)


def _joined_rows(cells: list[pa.Array]) -> bytes:
    """Return the rows as CSV text, quoting done here (pyarrow's writer cannot quote minimally)."""
    parts: list[pa.Array | pa.Scalar] = []
    for column in cells:
        parts += [_quoted(column), _COMMA]
    parts[-1] = _NEWLINE
    lines = pc.binary_join_element_wise(*parts, _NOTHING)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)
    start, stop = offsets[lines.offset], offsets[lines.offset + len(lines)]
    return bytes(memoryview(lines.buffers()[2])[start:stop])


def _rows_text(cells: list[pa.Array]) -> bytes | pa.Buffer:
    table = pa.table(cells, names=[str(i) for i in range(len(cells))])
    sink = pa.BufferOutputStream()
    options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
    try:
        pa_csv.write_csv(table, sink, options)
    except pa.ArrowInvalid:
        # Some cell holds a comma, quote or line break (the writer refuses it unquoted).
        return _joined_rows(cells)
    return sink.getvalue()


def write_columnar_csv(frame: pd.DataFrame, handle: BinaryIO, *, threads: int = 1) -> bool:
    r"""Write ``frame`` to ``handle`` as pandas' ``to_csv`` would, if it can be done exactly.

    The bytes are those of ``frame.to_csv(handle, index=False, encoding="utf-8",
    lineterminator="\n", quoting=csv.QUOTE_MINIMAL)``; the caller neutralises formulas
    first and chooses pandas when some text holds a carriage return.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; not modified.
    handle : binary file
        Where the CSV goes.
    threads : int, default 1
        Threads rendering blocks of rows side by side (the bytes are the same for any
        number).

    Returns
    -------
    bool
        ``False``, with nothing written, when some column or label has a kind only
        pandas renders (see the module's notes); ``True`` once written.

    Examples
    --------
    >>> handle = io.BytesIO()
    >>> write_columnar_csv(pd.DataFrame({"a": ["x,y", None], "b": [2.0, 1e-05]}), handle)
    True
    >>> print(handle.getvalue().decode(), end="")
    a,b
    "x,y",2.0
    ,1e-05
    """
    if frame.shape[1] < 2 or not all(isinstance(c, str) for c in frame.columns):
        # A lone empty cell is quoted by the csv module; labels pandas formats itself.
        return False
    columns = [_column_text(frame.iloc[:, i]) for i in range(frame.shape[1])]
    if any(column is None for column in columns):
        return False
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(list(frame.columns))
    handle.write(header.getvalue().encode("utf-8"))

    def rows(start: int) -> bytes | pa.Buffer:
        stop = min(start + _CHUNK_ROWS, len(frame))
        cells = [pc.fill_null(column(start, stop).cast(_TEXT), "") for column in columns if column]
        return _rows_text(cells)

    starts = range(0, len(frame), _CHUNK_ROWS)
    if threads < 2 or len(starts) < 2:
        for start in starts:
            handle.write(rows(start))
        return True
    # pyarrow's kernels and CSV writer release the GIL: blocks of rows are rendered side
    # by side and written in order, at most two per thread held at once.
    with ThreadPoolExecutor(threads) as pool:
        pending: deque[Future[bytes | pa.Buffer]] = deque()
        for start in starts:
            if len(pending) >= 2 * threads:
                handle.write(pending.popleft().result())
            pending.append(pool.submit(rows, start))
        while pending:
            handle.write(pending.popleft().result())
    return True
