"""The segment rules as the report shows them, read from ``segment_rules.csv``.

Every place that shows a rule also says how far to trust it: the share of customers the
rules put in the segment the method did. A folder written before the rules existed has
no ``segment_rules.csv`` (:meth:`OutputFolder.read_rules
<segmentkit.output.folder.OutputFolder.read_rules>` gives ``None``); the report then
simply has no rules.
"""

from __future__ import annotations

import pandas as pd

from segmentkit.describe.rules import share_text

__all__ = ["agreement_sentence", "method_rules", "segment_rule"]


def _rows(rules: pd.DataFrame | None, method: str) -> pd.DataFrame:
    if rules is None:
        return pd.DataFrame()
    return rules[rules["method"].astype(str) == method]


def agreement_sentence(rules: pd.DataFrame | None, method: str) -> str:
    """Return "These rules agree with the segments for 97.5% of customers.", or ""."""
    rows = _rows(rules, method)
    if rows.empty:
        return ""
    share = share_text(float(rows["method_agreement"].iloc[0]))
    return f"These rules agree with the segments for {share} of customers."


def segment_rule(rules: pd.DataFrame | None, method: str, segment: int) -> str:
    """Return a segment's rule in words (its paths joined by "or"), or ""."""
    rows = _rows(rules, method)
    if rows.empty:
        return ""
    rows = rows[rows["segment"].astype(int) == segment]
    if rows.empty:
        return ""
    paths = [str(d) for d in rows["description"].fillna("") if str(d)]
    return "; or ".join(paths) if paths else "no rule of its own (see the other segments)"


def method_rules(rules: pd.DataFrame | None, method: str) -> list[dict[str, str]]:
    """Return one row per segment: ``segment`` ("Segment 2"), ``name``, ``rule``."""
    rows = _rows(rules, method)
    if rows.empty:
        return []
    shown = []
    for segment, group in rows.groupby(rows["segment"].astype(int), sort=True):
        name = group["name"].iloc[0]
        shown.append(
            {
                "segment": f"Segment {segment}",
                "name": "" if pd.isna(name) else str(name),
                "rule": segment_rule(rules, method, int(segment)),
                "customers": f"{int(group['customers'].sum()):,}",
            }
        )
    return shown
