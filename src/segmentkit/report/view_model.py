"""The report model: everything ``report.html`` shows, read from a finished output folder.

Reading the folder rather than the run in memory means ``segmentkit report OUT_DIR``
and ``segmentkit run`` produce the same report, and nothing is ever refitted. The model
is presentation-neutral data (strings, numbers, figure JSON); the template decides how
it looks and escapes every string. The folder is read through its one reader
(:class:`~segmentkit.output.folder.OutputFolder`); the figures come from
:mod:`segmentkit.report.figures`, the tables from :mod:`segmentkit.report.sections`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from segmentkit.output.folder import (
    COMPARISON_FILE,
    IMPORTANCE_FILE,
    K_SELECTION_FILE,
    PROFILES_FILE,
    SUMMARY_FILE,
    OutputFolder,
)
from segmentkit.report.figures import Figure, method_figures, overview_figures
from segmentkit.report.rules_section import agreement_sentence, method_rules, segment_rule
from segmentkit.report.sections import (
    MethodSection,
    SegmentSection,
    leaderboard,
    method_section,
    outcome_table,
    segment_sections,
)
from segmentkit.text import plural

__all__ = ["Figure", "MethodSection", "ReportModel", "SegmentSection", "load_report_model"]

logger = logging.getLogger(__name__)

#: The files the report cannot do without.
NEEDED = (SUMMARY_FILE, PROFILES_FILE, COMPARISON_FILE, K_SELECTION_FILE, IMPORTANCE_FILE)


@dataclass(frozen=True)
class ReportModel:
    """Everything the report template renders."""

    title: str
    subtitle: str
    facts: list[tuple[str, str]]
    columns: list[dict[str, str]]
    cleaning: list[dict[str, str]]
    dropped: list[tuple[str, str]]
    leaderboard_columns: list[str]
    leaderboard: list[dict[str, Any]]
    verdict: str
    stable: bool
    alternative: str
    skipped: list[tuple[str, str]]
    recommended: str
    overview_figures: list[Figure]
    segments: list[SegmentSection]
    methods: list[MethodSection]
    footer: list[tuple[str, str]]
    config_json: str
    transactions: list[tuple[str, str]] = field(default_factory=list)
    rfm_columns: list[str] = field(default_factory=list)
    rfm_rows: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    outcome_columns: list[str] = field(default_factory=list)
    outcome_rows: list[dict[str, Any]] = field(default_factory=list)
    #: The recommended segmentation's rules, and how often they agree with its segments.
    rules: list[dict[str, str]] = field(default_factory=list)
    rules_agreement: str = ""


def load_report_model(folder: str | Path) -> ReportModel:
    """Read a finished output folder into the report model.

    Raises
    ------
    DataError
        When the folder is missing or incomplete.
    """
    output = OutputFolder(Path(folder))
    summary = output.read_summary(NEEDED, hint="point at a folder written by `segmentkit run`")
    recommended = str(summary["recommended"]["method"])
    all_profiles = output.read_profiles()
    comparison = output.read_comparison()
    k_selection = output.read_k_selection()
    importance = output.read_importance()
    points = output.read_scatter_points()
    config = summary.get("config", {})
    title = str(config.get("report", {}).get("title", "Customer segments"))
    profiles = all_profiles[all_profiles["method"] == recommended].reset_index(drop=True)
    rows = summary.get("rows", {})
    source = summary.get("input", {})
    n_segments = summary["methods"][recommended]["n_segments"]
    overview = overview_figures(output, profiles, summary, recommended)
    rules = output.read_rules()
    methods = []
    for method in summary["methods"]:
        method_profiles = all_profiles[all_profiles["method"] == method]
        names = dict(
            zip(method_profiles["segment"].astype(int), method_profiles["name"], strict=True)
        )
        figures = method_figures(output, method, summary, k_selection, importance, points, names)
        methods.append(method_section(method, summary, method_profiles, figures))
    columns, board = leaderboard(comparison)
    dropped = [(str(k), f"{int(v):,}") for k, v in rows.get("dropped", {}).items()]
    return ReportModel(
        title=title,
        subtitle=(
            f"{_source_name(source)}: {int(rows.get('kept', 0)):,} "
            f"customers in {plural(int(n_segments), 'segment')} by {recommended}"
        ),
        facts=[
            ("Customers read", f"{int(rows.get('read', 0)):,}"),
            ("Segmented", f"{int(rows.get('kept', 0)):,}"),
            ("Dropped", f"{sum(int(v) for v in rows.get('dropped', {}).values()):,}"),
            ("Unusual (outliers)", f"{int(rows.get('outliers', 0)):,}"),
            ("Features used", str(len(summary.get("features", [])))),
            ("Methods compared", str(len(summary["methods"]))),
        ],
        transactions=_transaction_facts(source.get("transactions")),
        **_rfm_crosstab(output, profiles),
        **outcome_table(profiles, summary),
        columns=[
            {"column": str(name), "role": str(info.get("role")), "reason": str(info.get("reason"))}
            for name, info in summary.get("columns", {}).items()
        ],
        cleaning=[
            {
                "rule": str(step.get("rule")),
                "column": str(step.get("column") or ""),
                "detail": str(step.get("detail")),
                "rows": "" if step.get("rows") is None else f"{int(step['rows']):,}",
            }
            for step in summary.get("cleaning", [])
        ],
        dropped=dropped,
        leaderboard_columns=columns,
        leaderboard=board,
        verdict=f"{recommended}: {summary['recommended'].get('reason', '')}",
        stable=bool(summary["recommended"].get("stable", True)),
        alternative=str((summary.get("alternative") or {}).get("summary", "")),
        skipped=[(str(k), str(v)) for k, v in summary.get("skipped_methods", {}).items()],
        recommended=recommended,
        overview_figures=overview,
        segments=[
            dataclasses.replace(s, rule=segment_rule(rules, recommended, s.segment))
            for s in segment_sections(profiles, summary, recommended)
        ],
        methods=[
            dataclasses.replace(
                m,
                rules=method_rules(rules, m.method),
                rules_agreement=agreement_sentence(rules, m.method),
            )
            for m in methods
        ],
        rules=method_rules(rules, recommended),
        rules_agreement=agreement_sentence(rules, recommended),
        footer=[
            ("segmentkit", str(summary.get("segmentkit_version", ""))),
            ("seed", str(summary.get("seed", ""))),
            ("input", str(source.get("path", ""))),
            *[(key, str(source[key])) for key in ("table", "query") if source.get(key)],
            ("input sha256", str(source.get("sha256", ""))),
            *[(str(k), str(v)) for k, v in summary.get("library_versions", {}).items()],
        ],
        config_json=json.dumps(config, indent=2, ensure_ascii=False),
    )


_TRANSACTION_FACTS = (
    ("read", "Transaction lines read"),
    ("used", "Lines used"),
    ("missing_customer", "Lines without a customer id (left out)"),
    ("duplicate_rows", "Exact duplicate lines (dropped)"),
    ("returns_netted", "Returns and cancellations netted"),
    ("negative_price", "Negative-price lines (left out)"),
    ("zero_amount", "Zero-amount lines"),
    ("unparsed_date", "Lines with an unreadable date (left out)"),
    ("after_snapshot", "Lines after the snapshot (left out)"),
    ("customers_returns_exceed_purchases", "Customers whose returns exceed purchases"),
)


def _rfm_crosstab(folder: OutputFolder, profiles: pd.DataFrame) -> dict[str, Any]:
    """Count each segment's customers by standard RFM group (data from transactions)."""
    # None: the Dask backend writes segments/ (Parquet) instead of segments.csv.
    header = folder.segment_columns()
    if header is None or "rfm_group" not in header:
        return {}
    data = folder.read_segment_columns(["segment", "rfm_group"])
    table = pd.crosstab(data["segment"], data["rfm_group"])
    groups = [str(g) for g in table.sum().sort_values(ascending=False, kind="stable").index]
    names = dict(zip(profiles["segment"].astype(int), profiles["name"].astype(str), strict=False))
    rows = [
        {
            "segment": f"{segment}: {names.get(int(segment), '')}",
            **{
                g: f"{int(table.loc[segment, g]):,}" if table.loc[segment, g] else ""
                for g in groups
            },
        }
        for segment in table.index
    ]
    return {"rfm_columns": groups, "rfm_rows": rows}


def _transaction_facts(info: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not info:
        return []
    rows = info.get("rows", {})
    facts = [("Snapshot date", str(info.get("snapshot_date", "")))]
    columns = ", ".join(f"{k}: {v}" for k, v in info.get("columns", {}).items() if v)
    facts.append(("Columns used", columns))
    facts += [(label, f"{int(rows[key]):,}") for key, label in _TRANSACTION_FACTS if rows.get(key)]
    return facts


def _source_name(source: dict[str, Any]) -> str:
    """Name the input: a file by its name; a database by its table, or "a query" on it."""
    path = str(source.get("path", "input"))
    if source.get("format") != "database":
        return Path(path).name
    where = path.rsplit("/", 1)[-1] or path
    if source.get("table"):
        return f"table {source['table']} in {where}"
    return f"a query on {where}"
