"""How the report writes the cells it reads back from CSV: numbers, shares, counts.

Cells come from :func:`~segmentkit.output.write.read_output_csv`: empty cells are NaN and
whole-number columns with gaps read as floats, so every formatter here accepts them.
"""

from __future__ import annotations

import pandas as pd

from segmentkit.describe.segment_counts import SegmentCount
from segmentkit.text import format_figure, format_number

__all__ = ["cell_text", "count_cell", "number", "parameters_text", "percent"]


def cell_text(value: object) -> str:
    """Return a CSV cell as text: empty cells (NaN) become empty strings.

    Examples
    --------
    >>> cell_text(float("nan")), cell_text("k = 4")
    ('', 'k = 4')
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def percent(value: object) -> str:
    """Return a share as a whole percentage, or "" when there is none.

    Examples
    --------
    >>> percent(0.254), percent(""), percent(float("nan"))
    ('25%', '', '')
    """
    try:
        share = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return "" if share != share else f"{share:.0%}"


def number(value: object, *, year: bool = False) -> str:
    """Return a figure as the report shows it (counts with separators, years without).

    Examples
    --------
    >>> number(4.0), number(12345.0), number(1970.0, year=True), number(True)
    ('4', '12,345', '1970', 'true')
    """
    if isinstance(value, bool):
        return str(value).lower()
    try:
        figure = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if figure != figure:
        return ""
    if year:
        # Calendar years (1970, not 1,970): see segmentkit.text.is_year_column.
        return format_figure(figure, year=True)
    if figure in (float("inf"), float("-inf")):
        return "∞" if figure > 0 else "-∞"
    if figure.is_integer() and abs(figure) < 1e15:
        # Counts and k read back from CSV as floats when a column has gaps.
        return f"{int(figure):,}"
    return format_number(figure)


def parameters_text(row: pd.Series) -> str:
    """Return a ``method_comparison.csv`` row's ``param_*`` cells as ``k = 4, eps = 0.5``."""
    parts = []
    for key, value in row.items():
        if str(key).startswith("param_") and str(value) not in ("", "nan"):
            parts.append(f"{str(key).removeprefix('param_')} = {number(value)}")
    return ", ".join(parts)


def count_cell(count: SegmentCount) -> str:
    """Return the customers as ``segments.csv`` counts them, e.g. ``83 (2 unusual)``."""
    if count.unusual:
        return f"{count.customers:,} ({count.unusual:,} unusual)"
    if count.counted_elsewhere:
        return f"{count.customers:,} (also in their segments)"
    return f"{count.customers:,}"
