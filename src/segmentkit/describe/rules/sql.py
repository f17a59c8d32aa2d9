"""``segment_rules.sql``: the segment rules as SQL that reproduces the segments anywhere.

One ``CASE WHEN ... END AS "segment_<method>"`` expression per segmentation, in one
``SELECT`` on a table named ``customers`` with the input's columns. Column names are
always double-quoted identifiers and values single-quoted literals, each with its quotes
doubled, so a column named ``x"; DROP TABLE t; --`` stays a name; user text in comments
is put on one line, so it cannot end a comment early. The SQL is standard: the tests run
it in SQLite and DuckDB, and it was checked by hand in PostgreSQL 15 (Mall and
marketing_campaign, every method: the stated agreement exactly).

Missing values follow :mod:`segmentkit.describe.rules.fit`: ``COALESCE`` with the value the
segmentation filled in, in the columns that had missing values; elsewhere a ``NULL``
matches no rule and the customer falls to ``ELSE``, the method's largest segment.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from segmentkit.describe.rules.model import DATE_OPS, Condition, SegmentRules, plain_number

__all__ = ["case_expression", "condition_sql", "sql_identifier", "sql_literal", "sql_script"]

#: The table the script reads; users replace it with theirs.
TABLE = "customers"


def sql_identifier(name: str) -> str:
    """Quote a column name as a standard SQL identifier: data, never SQL.

    Examples
    --------
    >>> print(sql_identifier('x"; DROP TABLE t; --'))
    "x""; DROP TABLE t; --"
    """
    return '"' + str(name).replace('"', '""') + '"'


def sql_literal(value: object) -> str:
    """Write a value as a standard SQL literal: numbers bare, text single-quoted.

    Examples
    --------
    >>> [sql_literal(v) for v in (70.0, 0.35, 2, "O'Brien", True)]
    ['70', '0.35', '2', "'O''Brien'", 'TRUE']
    """
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return plain_number(float(value))
    return "'" + str(value).replace("'", "''") + "'"


def _comment(text: object) -> str:
    """Return user text fit for a ``--`` comment: on one line."""
    return " ".join(str(text).split())


def _category_values(category: str, spellings: Mapping[str, Sequence[object]]) -> list[str]:
    return [sql_literal(v) for v in spellings.get(category, (category,))]


def condition_sql(
    condition: Condition, spellings: Mapping[str, Sequence[object]] | None = None
) -> str:
    """Return one condition as SQL on the input column.

    Parameters
    ----------
    condition : Condition
        The condition.
    spellings : mapping, optional
        Category to the values the input holds for it (``" male"``, ``"MALE"``, or the
        number ``1`` for a category read as a number); the category itself when absent.

    Examples
    --------
    >>> print(condition_sql(Condition("Annual Income (k$)", ">=", 70.0)))
    "Annual Income (k$)" >= 70
    >>> print(condition_sql(Condition("Region", "in", categories=("1", "2")), {"1": (1,)}))
    "Region" IN (1, '2')
    """
    spellings = spellings or {}
    column = sql_identifier(condition.column)
    if condition.fill is not None:
        if condition.is_category:
            fill = _category_values(str(condition.fill), spellings)[0]
        elif condition.reference is not None:
            fill = sql_literal(condition.date_text(float(condition.fill)))
        else:
            fill = sql_literal(float(condition.fill))
        column = f"COALESCE({column}, {fill})"
    if condition.is_category:
        literals: list[str] = []
        for category in condition.categories:
            literals += [v for v in _category_values(category, spellings) if v not in literals]
        return f"{column} {condition.op.upper()} ({', '.join(literals)})"
    if condition.reference is not None:
        return f"{column} {DATE_OPS[condition.op]} {sql_literal(condition.date_text())}"
    return f"{column} {condition.op} {sql_literal(condition.threshold)}"


def case_expression(
    rules: SegmentRules, names: Mapping[int, str] | None = None, *, alias: str | None = None
) -> str:
    """Return the rules as ``CASE WHEN ... THEN <segment> ... END AS "segment_<method>"``.

    Parameters
    ----------
    rules : SegmentRules
        One segmentation's rules.
    names : mapping, optional
        Segment to name, written as comments.
    alias : str, optional
        The output column (default ``segment_<method>``).
    """
    names = names or {}
    lines = [f"-- {_comment(rules.method)}: {_comment(rules.agreement_text())}"]
    whens = []
    for segment in rules.segments:
        label = _comment(f"segment {segment}: {names.get(segment, '')}".rstrip(": "))
        paths = rules.segment_paths(segment)
        if not paths:
            whens.append(f"  -- {label}: no rule names this segment")
            continue
        alternatives = [
            " AND ".join(condition_sql(c, rules.spellings.get(c.column)) for c in p.conditions)
            or "1 = 1"
            for p in paths
        ]
        condition = "\n    OR ".join(f"({a})" for a in alternatives)
        whens += [f"  -- {label}", f"  WHEN {condition}\n    THEN {segment}"]
    default_label = _comment(names.get(rules.default, ""))
    return "\n".join(
        [
            *lines,
            "CASE",
            *whens,
            f"  ELSE {rules.default}  -- no rule matched (a NULL): the largest segment"
            + (f", {default_label}" if default_label else ""),
            f"END AS {sql_identifier(alias or f'segment_{rules.method}')}",
        ]
    )


def sql_script(
    rules: Mapping[str, SegmentRules],
    *,
    recommended: str,
    names: Mapping[str, Mapping[int, str]] | None = None,
    numeric_text: Sequence[str] = (),
    dates: Sequence[str] = (),
) -> str:
    """Return ``segment_rules.sql``: one ``SELECT`` with every method's expression.

    Parameters
    ----------
    rules : mapping
        Method to its rules.
    recommended : str
        The method whose expression is also written as ``segment``.
    names : mapping, optional
        Method to segment to name (comments).
    numeric_text : sequence of str
        Columns that held numbers written as text (``"$1,200"``): said in the header.
    dates : sequence of str
        Date columns the rules compare with dates: said in the header.
    """
    names = names or {}
    header = [
        "-- Segment rules written by segmentkit: CASE expressions that put each customer in a",
        "-- segment from the input's own columns, each with its agreement with the segments.",
        f"-- Replace {TABLE} in the last line with your table; it needs the input's column names.",
        "-- Standard SQL: identifiers in double quotes, text in single quotes (MySQL needs",
        "-- SET sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES').",
        "-- NULL: where the input had missing values, a NULL counts as the value the",
        "-- segmentation used instead (COALESCE); elsewhere a NULL matches no rule and the",
        "-- customer falls to the ELSE branch: the method's largest segment.",
    ]
    if numeric_text:
        quoted = ", ".join(_comment(sql_identifier(c)) for c in numeric_text)
        header.append(f"-- {quoted}: numbers written as text in the input; store them as numbers.")
    if dates:
        quoted = ", ".join(_comment(sql_identifier(c)) for c in dates)
        header.append(
            f"-- {quoted}: compared with ISO dates; store them as DATE or TIMESTAMP "
            "(SQLite: text 'YYYY-MM-DD')."
        )
    if recommended in rules:
        header += [
            f"-- Recommended: {_comment(recommended)}, also written as segment;",
            f"-- {_comment(rules[recommended].agreement_text())}.",
        ]
    expressions: list[str] = []
    order = [recommended] if recommended in rules else []
    for method in [*order, *rules]:
        alias = "segment" if method == recommended and not expressions else f"segment_{method}"
        # Named by its key in ``rules``, whatever the rules call themselves.
        named = dataclasses.replace(rules[method], method=method)
        expression = case_expression(named, names.get(method), alias=alias)
        expressions.append("\n".join(f"  {line}" for line in expression.splitlines()))
    body = ",\n".join(expressions)
    return "\n".join([*header, "SELECT", f"  {TABLE}.*,", body, f"FROM {TABLE};", ""])
