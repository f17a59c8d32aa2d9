"""A finished run in a few lines: what a notebook or a terminal shows for a run or a Segmenter.

Displaying a :class:`~segmentkit.pipeline.SegmentationRun` used to print every field of the
dataclass, arrays and all. These functions say what a person looks at first instead: how
many customers, which method was recommended and why, and its segments with their sizes
and names. Plain ``html.escape`` keeps the HTML safe without loading a template engine.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from segmentkit.pipeline import SegmentationRun

__all__ = ["run_html", "run_text", "segment_sizes", "summary_html"]


def segment_sizes(profiles: pd.DataFrame) -> pd.DataFrame:
    """Return ``segment, name, size, share`` of one method's profile table.

    Parameters
    ----------
    profiles : pandas.DataFrame
        A profile table (:attr:`SegmentProfiles.table
        <segmentkit.describe.profiles.SegmentProfiles.table>`): one row per segment, then
        ``-1`` noise and ``-2`` outliers when present.

    Returns
    -------
    pandas.DataFrame
        The four columns, in the profile table's order.

    Examples
    --------
    >>> table = pd.DataFrame({"segment": [0, 1], "name": ["Big", "Small"],
    ...                       "size": [3, 1], "share": [0.75, 0.25], "drivers": ["", ""]})
    >>> segment_sizes(table).columns.tolist()
    ['segment', 'name', 'size', 'share']
    """
    return profiles[["segment", "name", "size", "share"]].reset_index(drop=True)


def _rows(sizes: pd.DataFrame) -> list[tuple[int, str, int, float]]:
    return [
        (int(segment), str(name), int(size), float(share))
        for segment, name, size, share in zip(
            sizes["segment"].tolist(),
            sizes["name"].tolist(),
            sizes["size"].tolist(),
            sizes["share"].tolist(),
            strict=True,
        )
    ]


def _facts(run: SegmentationRun) -> list[tuple[str, str]]:
    counts = run.prepared.row_counts
    customers = f"{counts['kept']:,}"
    if counts["kept"] != counts["read"]:
        customers += f" of {counts['read']:,} (the others dropped in cleaning)"
    methods = ", ".join(run.results)
    if run.skipped:
        methods += f" (skipped: {', '.join(run.skipped)})"
    stable = "" if run.recommendation_stable else " — no stable segmentation was found"
    return [
        ("customers", customers),
        ("features", ", ".join(run.prepared.features)),
        ("methods", methods),
        ("recommended", f"{run.recommended}: {run.recommendation_reason}{stable}"),
    ]


def run_text(run: SegmentationRun) -> str:
    """Return a few readable lines about ``run`` (its ``repr``).

    The facts (customers, features, methods, the recommendation and why), then the
    recommended method's segments with their sizes, shares and names.
    """
    lines = [f"SegmentationRun({run.recommended}, {len(run.labels):,} customers)"]
    lines += [f"  {label}: {value}" for label, value in _facts(run)]
    sizes = segment_sizes(run.profiles[run.recommended].table)
    lines.append(f"  {'segment':>7}  {'size':>7}  {'share':>6}  name")
    lines += [
        f"  {segment:>7}  {size:>7,}  {share:>6.1%}  {name}"
        for segment, name, size, share in _rows(sizes)
    ]
    return "\n".join(lines)


def summary_html(caption: str, facts: Sequence[tuple[str, str]], sizes: pd.DataFrame) -> str:
    """Return a small HTML summary: a facts table and a segments table, every value escaped.

    Parameters
    ----------
    caption : str
        The heading (``Segmenter``, ``SegmentationRun`` ...).
    facts : sequence of (str, str)
        Label and value pairs, shown in order.
    sizes : pandas.DataFrame
        :func:`segment_sizes` output; an empty frame shows no segments table.

    Examples
    --------
    >>> print(summary_html("Segmenter", [("k", "<5>")], pd.DataFrame()))
    <div class="segmentkit-summary"><strong>Segmenter</strong><table><tr><th style="text-align:left">k</th><td style="text-align:left">&lt;5&gt;</td></tr></table></div>
    """  # noqa: E501 - the doctest output is one line
    left = ' style="text-align:left"'
    rows = "".join(
        f"<tr><th{left}>{html.escape(label)}</th><td{left}>{html.escape(value)}</td></tr>"
        for label, value in facts
    )
    parts = [f"<strong>{html.escape(caption)}</strong>", f"<table>{rows}</table>"]
    if len(sizes):
        head = "<tr><th>segment</th><th>size</th><th>share</th><th>name</th></tr>"
        body = "".join(
            f"<tr><td>{segment}</td><td>{size:,}</td><td>{share:.1%}</td>"
            f"<td{left}>{html.escape(name)}</td></tr>"
            for segment, name, size, share in _rows(sizes)
        )
        parts.append(f"<table>{head}{body}</table>")
    return f'<div class="segmentkit-summary">{"".join(parts)}</div>'


def run_html(run: SegmentationRun) -> str:
    """Return the HTML a notebook shows for ``run`` (its ``_repr_html_``)."""
    sizes = segment_sizes(run.profiles[run.recommended].table)
    return summary_html("SegmentationRun", _facts(run), sizes)
