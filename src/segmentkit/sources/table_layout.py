"""How the lines of a text table split into fields, beyond one delimiter character.

:mod:`segmentkit.sources.dialect` detects ``, ; tab |`` itself; this module adds what those miss,
all judged on the first lines of the file:

- **whitespace-aligned tables** (``CDNOW_master.txt``, ``DataFrame.to_string()``, report
  printouts): fields separated by runs of spaces, or — when a header or a value holds a
  space (``Annual Income (k$)``, ``New York``) — right-aligned fixed-width columns;
- **a missing header row**: the first row holds only numbers, like the rows below it;
- **codes written with leading zeros** (``0001``, ``02134``): digits that must stay text,
  because a number would lose the zeros the id or postal code is spelled with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "WHITESPACE",
    "WhitespaceLayout",
    "detect_whitespace_layout",
    "looks_headerless",
    "padded_code_columns",
    "sample_lines",
]

#: The name :class:`segmentkit.sources.read.TableRead` and ``input.delimiter`` use for whitespace.
WHITESPACE = "whitespace"

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_DIGITS = re.compile(r"^\d+$")
#: Share of a column's sampled values that must be numbers for it to count as numeric.
_NUMERIC_SHARE = 0.9


def sample_lines(text: str, max_chars: int, max_lines: int) -> list[str]:
    r"""Return the first non-blank lines of ``text``: no line ends, no cut-off last line.

    Examples
    --------
    >>> sample_lines("a b\r\n\n1 2\r\n3 4", 100, 10)
    ['a b', '1 2', '3 4']
    """
    sample = text[:max_chars]
    if len(text) > max_chars:
        sample = sample[: sample.rfind("\n") + 1] or sample
    lines = [line.rstrip("\r") for line in sample.split("\n")]
    return [line for line in lines if line.strip()][:max_lines]


@dataclass(frozen=True)
class WhitespaceLayout:
    """How the lines of a whitespace-aligned table split into fields.

    Attributes
    ----------
    spans : tuple of (int, int or None), or None
        ``None``: fields are separated by runs of whitespace. Otherwise the character
        span ``[start, end)`` of each fixed-width column (``end`` ``None``: to the line end).
    index_column : bool
        The header has one field fewer than the rows, which start with a row label
        (``DataFrame.to_string()`` with its index); the header gets an empty first cell.
    """

    spans: tuple[tuple[int, int | None], ...] | None = None
    index_column: bool = False

    def split(self, line: str, *, header: bool = False) -> list[str]:
        """Split one line into its fields (stripped).

        Examples
        --------
        >>> WhitespaceLayout().split(" 00004 0001  19970101  2  29.33")
        ['00004', '0001', '19970101', '2', '29.33']
        >>> WhitespaceLayout(spans=((0, 4), (4, None))).split("  ab  New York")
        ['ab', 'New York']
        """
        if self.spans is not None:
            return [line[start:end].strip() for start, end in self.spans]
        fields = line.split()
        return ["", *fields] if header and self.index_column else fields

    def records(self, lines: Sequence[str]) -> list[list[str]]:
        """Split sampled lines (the first one the header, if any) into fields."""
        return [self.split(line, header=i == 0) for i, line in enumerate(lines)]

    def describe(self) -> str:
        """How the fields are told apart, for the log."""
        if self.spans is not None:
            return f"{len(self.spans)} right-aligned fixed-width columns"
        label = ", rows led by a row label" if self.index_column else ""
        return f"fields separated by spaces{label}"


def detect_whitespace_layout(lines: Sequence[str], *, forced: bool) -> WhitespaceLayout | None:
    """Recognise a whitespace-aligned table from its first lines.

    Step 1: every line after the first splits on whitespace into the same number of
    fields (at least 2), and the first line into as many — or one fewer, when the rows
    start with a distinct row label (``to_string()`` with an index).
    Step 2: otherwise, right-aligned fixed-width columns: every line ends at the same
    position and the rows share column right edges (see :func:`_aligned_spans`).
    Either must give a column of numbers, so that a list of names (``Ann Lee``) stays
    one column. With ``forced`` (``--delimiter whitespace``) that check is skipped and,
    when neither step fits, fields are split on runs of whitespace.

    Parameters
    ----------
    lines : sequence of str
        The first non-blank lines (see :func:`sample_lines`), the first one the header
        if the table has one.
    forced : bool
        The user said the table is whitespace-separated.

    Returns
    -------
    WhitespaceLayout or None
        ``None`` when the lines do not look like a whitespace-aligned table.

    Examples
    --------
    >>> detect_whitespace_layout([" id  spend", " 01  2.5", " 02  3.0"], forced=False)
    WhitespaceLayout(spans=None, index_column=False)
    >>> detect_whitespace_layout(["name", "Ann Lee", "Bo Li"], forced=False) is None
    True
    """
    fallback = WhitespaceLayout() if forced else None
    if len(lines) < 2 or any("\t" in line for line in lines):
        return fallback
    counts = [len(line.split()) for line in lines]
    width = counts[1]
    if width >= 2 and all(count == width for count in counts[1:]):
        labels = [line.split()[0] for line in lines[1:]]
        if counts[0] == width:
            candidate: WhitespaceLayout | None = WhitespaceLayout()
        elif counts[0] == width - 1 >= 2 and len(set(labels)) == len(labels):
            candidate = WhitespaceLayout(index_column=True)
        else:
            candidate = None
        if candidate is not None and (forced or _has_numbers(candidate.records(lines)[1:])):
            return candidate
    spans = _aligned_spans([line.rstrip() for line in lines])
    if spans is not None:
        candidate = WhitespaceLayout(spans=spans)
        if forced or _has_numbers(candidate.records(lines)[1:]):
            return candidate
    return fallback


def _aligned_spans(lines: Sequence[str]) -> tuple[tuple[int, int | None], ...] | None:
    """Column spans of a right-aligned table (``to_string()``), or None.

    Every line (header included) must end at the same position. A column's right edge is
    a position where every row has a character and the next position is blank; an edge
    that cuts through a header word is not one (``Annual Income``), and a span with a
    blank header belongs to the column on its right (a value's first word, ``New`` of
    ``New York``), except the first span: a header-less row label.
    """
    length = len(lines[0])
    if length == 0 or any(len(line) != length for line in lines):
        return None
    header, rows = lines[0], lines[1:]
    edges = [
        p
        for p in range(length)
        if all(row[p] != " " and (p + 1 == length or row[p + 1] == " ") for row in rows)
        and (p + 1 == length or header[p] == " " or header[p + 1] == " ")
    ]
    if not edges or edges[-1] != length - 1:
        return None
    kept: list[int] = []
    start = 0
    for edge in edges:
        if start and not header[start : edge + 1].strip() and edge != length - 1:
            continue  # a blank header: this span is part of the next column
        kept.append(edge)
        start = edge + 1
    if len(kept) < 2:
        return None
    starts = [0, *(edge + 1 for edge in kept[:-1])]
    ends: list[int | None] = [edge + 1 for edge in kept[:-1]]
    ends.append(None)
    return tuple(zip(starts, ends, strict=True))


def _is_number(value: str) -> bool:
    return bool(_NUMBER.match(value.strip()))


def _numeric_columns(records: Sequence[Sequence[str]]) -> list[bool]:
    """For each column of ``records`` (data rows), whether its filled values are numbers."""
    width = max((len(record) for record in records), default=0)
    numeric = []
    for j in range(width):
        values = [r[j] for r in records if j < len(r) and r[j].strip()]
        hits = sum(1 for v in values if _is_number(v))
        numeric.append(bool(values) and hits >= _NUMERIC_SHARE * len(values))
    return numeric


def _has_numbers(records: Sequence[Sequence[str]]) -> bool:
    return any(_numeric_columns(records))


def looks_headerless(records: Sequence[Sequence[str]]) -> bool:
    """Whether the first record is data, not a header: numbers over numeric columns.

    Every cell of the first record must be a number and sit over a column of numbers, and
    there must be at least two columns: a header of years over text (``2023,2024``) is
    still a header.

    Examples
    --------
    >>> looks_headerless([["00004", "19970101", "29.33"], ["00021", "19970101", "63.34"]])
    True
    >>> looks_headerless([["id", "spend"], ["1", "2.5"]])
    False
    """
    if len(records) < 2 or len(records[0]) < 2:
        return False
    first = records[0]
    numeric = _numeric_columns(records[1:])
    return all(_is_number(cell) and j < len(numeric) and numeric[j] for j, cell in enumerate(first))


def padded_code_columns(records: Sequence[Sequence[str]]) -> list[int]:
    """Positions of the columns written as digits with leading zeros (``0001``).

    ``records`` are data rows. A column qualifies when every filled value is digits only
    and at least one starts with ``0`` and has more digits: ids, postal codes and account
    numbers, whose zeros a number would drop. ``0``, ``0.5`` and ``-01`` do not count.

    Examples
    --------
    >>> padded_code_columns([["0001", "5", "0.5"], ["0002", "07", "1.5"], ["0010", "", "0"]])
    [0, 1]
    """
    width = max((len(record) for record in records), default=0)
    found = []
    for j in range(width):
        values = [r[j].strip() for r in records if j < len(r) and r[j].strip()]
        if (
            values
            and all(_DIGITS.match(v) for v in values)
            and any(len(v) > 1 and v.startswith("0") for v in values)
        ):
            found.append(j)
    return found
