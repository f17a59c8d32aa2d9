"""The report model: everything ``report.html`` shows, read from a finished output folder.

Reading the folder rather than the run in memory means ``segmentkit report OUT_DIR``
and ``segmentkit run`` produce the same report, and nothing is ever refitted. The model
is presentation-neutral data (strings, numbers, figure JSON); the template decides how
it looks and escapes every string.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from segmentkit.describe.importance_words import importance_headline
from segmentkit.describe.outcomes import (
    describe_outcome,
    format_outcome,
    headline_first,
    outcome_lift,
)
from segmentkit.describe.segment_counts import SegmentCount, segment_counts, summary_sizes
from segmentkit.output.write import read_output_csv, read_run_summary
from segmentkit.plots import interactive
from segmentkit.report.rules_section import (
    agreement_sentence,
    method_rules,
    read_rules,
    segment_rule,
)
from segmentkit.text import format_figure, format_number, is_year_column, plural

__all__ = ["Figure", "MethodSection", "ReportModel", "SegmentSection", "load_report_model"]

logger = logging.getLogger(__name__)

NEEDED = (
    "run.json",
    "segment_profiles.csv",
    "method_comparison.csv",
    "k_selection.csv",
    "feature_importance.csv",
)


@dataclass(frozen=True)
class Figure:
    """One figure: plotly JSON (interactive) or a PNG as a ``data:`` URI."""

    id: str
    title: str
    plotly_json: str = ""
    image_uri: str = ""
    caption: str = ""
    method: str = ""
    kind: str = ""


@dataclass(frozen=True)
class SegmentSection:
    """One segment of the recommended method."""

    segment: int
    name: str
    size: int
    share: float
    value_share: float | None
    description: str
    drivers: list[str]
    recommendations: list[str]
    numeric: list[dict[str, str]]
    categorical: list[dict[str, str]]
    outcomes: list[str] = field(default_factory=list)
    #: ``size`` with its noun ("83 customers"): customers as ``segments.csv`` counts them.
    customers: str = ""
    #: How that count relates to the profile (outliers described apart), or "".
    count_note: str = ""
    #: The segment's rule in words (``segment_rules.csv``), or "".
    rule: str = ""


@dataclass(frozen=True)
class MethodSection:
    """Per-method detail: how parameters were chosen, the scatter, the drivers."""

    method: str
    recommended: bool
    summary: dict[str, str]
    notes: list[str]
    figures: list[Figure]
    segments: list[dict[str, str]]
    #: Per segment its rule in words, and how often the rules agree with the segments.
    rules: list[dict[str, str]] = field(default_factory=list)
    rules_agreement: str = ""


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


def _text(value: object) -> str:
    """Return a CSV cell as text: empty cells (NaN) become empty strings."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _png_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _percent(value: object) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return "" if number != number else f"{number:.0%}"


def _number(value: object, *, year: bool = False) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if number != number:
        return ""
    if year:
        # Calendar years (1970, not 1,970): see segmentkit.text.is_year_column.
        return format_figure(number, year=True)
    if number in (float("inf"), float("-inf")):
        return "∞" if number > 0 else "-∞"
    if number.is_integer() and abs(number) < 1e15:
        # Counts and k read back from CSV as floats when a column has gaps.
        return f"{int(number):,}"
    return format_number(number)


def _image(
    folder: Path, name: str, title: str, *, method: str = "", caption: str = ""
) -> list[Figure]:
    path = folder / "plots" / name
    if not path.is_file():
        return []
    return [
        Figure(
            id=name.removesuffix(".png").replace("_", "-"),
            title=title,
            image_uri=_png_uri(path),
            caption=caption,
            method=method,
            kind="image",
        )
    ]


def _params(row: pd.Series) -> str:
    parts = []
    for key, value in row.items():
        if str(key).startswith("param_") and str(value) not in ("", "nan"):
            parts.append(f"{str(key).removeprefix('param_')} = {_number(value)}")
    return ", ".join(parts)


def _leaderboard(comparison: pd.DataFrame) -> tuple[list[str], list[dict[str, Any]]]:
    columns = [
        "method",
        "parameters",
        "segments",
        "noise",
        "separation (near neighbours)",
        "silhouette",
        "Calinski–Harabasz",
        "Davies–Bouldin",
        "stability (ARI)",
        "note",
    ]
    rows = []
    for row in comparison.to_dict("records"):
        series = pd.Series(row)
        rows.append(
            {
                "method": str(row["method"]),
                "parameters": _params(series),
                "segments": _number(row.get("n_segments")),
                "noise": _percent(row.get("noise_share")),
                "separation (near neighbours)": _number(row.get("nn_separation")),
                "silhouette": _number(row.get("silhouette")),
                "Calinski–Harabasz": _number(row.get("calinski_harabasz")),
                "Davies–Bouldin": _number(row.get("davies_bouldin")),
                "stability (ARI)": _number(row.get("stability")),
                "note": _text(row.get("metrics_note")),
                "recommended": str(row.get("recommended")).lower() == "true",
            }
        )
    return columns, rows


def _segment_sections(
    profiles: pd.DataFrame, summary: dict[str, Any], method: str
) -> list[SegmentSection]:
    population = summary.get("population", {})
    explanation = summary["methods"][method].get("explanation", {}).get("segments", {})
    counts = segment_counts(profiles, summary_sizes(summary["methods"][method]))
    sections = []
    for row in profiles.to_dict("records"):
        segment = int(row["segment"])
        numeric = []
        for feature, stats in population.get("numeric", {}).items():
            if f"{feature}_mean" not in row:
                continue
            year = is_year_column(feature, [stats.get("min"), stats.get("max")])
            numeric.append(
                {
                    "feature": feature,
                    "mean": _number(row[f"{feature}_mean"], year=year),
                    "median": _number(row[f"{feature}_median"], year=year),
                    "min": _number(row[f"{feature}_min"], year=year),
                    "max": _number(row[f"{feature}_max"], year=year),
                    "all": _number(stats.get("mean"), year=year),
                    "z": f"{float(row[f'{feature}_z']):+.2f}"
                    if str(row.get(f"{feature}_z", "")) not in ("", "nan")
                    else "",
                }
            )
        categorical = [
            {"feature": feature, "mix": str(row.get(f"{feature}_mix", ""))}
            for feature in population.get("categorical", [])
            if f"{feature}_mix" in row
        ]
        actions = explanation.get(str(segment), {}).get("recommendations", [])
        known = population.get("outcomes", {})
        outcomes = [
            describe_outcome(column, float(row[f"{column}_mean"]), known[column]["mean"],
                             known[column]["rate"])
            for column in headline_first(list(known))
            if f"{column}_mean" in row
        ]  # fmt: skip
        value_share = row.get("value_share")
        sections.append(
            SegmentSection(
                segment=segment,
                name=str(row["name"]),
                size=counts[segment].customers,
                share=counts[segment].share,
                value_share=None
                if value_share is None or value_share != value_share
                else float(value_share),
                description=str(row["description"]),
                drivers=[d for d in str(row.get("drivers", "")).split("; ") if d],
                recommendations=[str(a["action"]) for a in actions]
                or [str(row.get("recommendation", ""))],
                numeric=numeric,
                categorical=categorical,
                outcomes=outcomes,
                customers=counts[segment].customers_text(),
                count_note=counts[segment].note(),
            )
        )
    return sections


def _outcome_table(profiles: pd.DataFrame, summary: dict[str, Any]) -> dict[str, Any]:
    """Each segment's outcome rates (means) with their lift over all customers."""
    outcomes = {
        column: info
        for column, info in summary.get("population", {}).get("outcomes", {}).items()
        if f"{column}_mean" in profiles
    }
    if not outcomes:
        return {}
    rows = [
        {
            "segment": f"{int(r['segment'])}: {r['name']}",
            "size": f"{int(r['size']):,}",
            "cells": [
                format_outcome(float(r[f"{column}_mean"]), info["rate"])
                + _lift_text(float(r[f"{column}_mean"]), info["mean"])
                for column, info in outcomes.items()
            ],
        }
        for r in profiles.to_dict("records")
    ]
    rows.append(
        {
            "segment": "All customers",
            "size": f"{int(profiles['size'].sum()):,}",
            "cells": [format_outcome(info["mean"], info["rate"]) for info in outcomes.values()],
        }
    )
    return {"outcome_columns": list(outcomes), "outcome_rows": rows}


def _lift_text(mean: float, overall: float | None) -> str:
    lift = outcome_lift(mean, overall if overall is not None else float("nan"))
    return "" if lift != lift else f" (×{lift:.1f})"


def _method_section(
    folder: Path,
    method: str,
    summary: dict[str, Any],
    k_selection: pd.DataFrame,
    importance: pd.DataFrame,
    points: pd.DataFrame | None,
    names: dict[int, str],
    profiles: pd.DataFrame,
) -> MethodSection:
    info = summary["methods"][method]
    explanation = info.get("explanation", {})
    figures = []
    scatter = summary.get("scatter")
    if points is not None and scatter and f"group_{method}" in points:
        figures.append(
            Figure(
                id=f"scatter-{method}",
                title="Customers by segment",
                plotly_json=interactive.scatter_figure(
                    points,
                    method=method,
                    axis_labels=scatter["axis_labels"],
                    names=names,
                    hover_features=scatter["hover_features"],
                    note=scatter.get("note", ""),
                ),
                caption=scatter.get("note", ""),
                method=method,
                kind="scatter",
            )
        )
    criteria = k_selection[k_selection["method"] == method].dropna(axis=1, how="all")
    if len(criteria) > 1:
        figures.append(
            Figure(
                id=f"criteria-{method}",
                title="Choosing the parameters",
                plotly_json=interactive.criteria_figure(criteria, method=method),
                method=method,
                kind="criteria",
            )
        )
    rows = importance[importance["method"] == method]
    if len(rows):
        figures.append(
            Figure(
                id=f"importance-{method}",
                title="What drives the segments",
                plotly_json=interactive.importance_figure(
                    rows, method=method, accuracy=explanation.get("surrogate_accuracy")
                ),
                # The same sentence as `segmentkit profile`, from the same rows.
                caption=importance_headline(rows, explanation.get("surrogate_accuracy")),
                method=method,
                kind="importance",
            )
        )
    figures += _image(folder, f"dendrogram_{method}.png", "Dendrogram", method=method)
    figures += _image(folder, f"k_distance_{method}.png", "k-distance curve", method=method)
    metrics = info.get("metrics", {})
    stability = info.get("stability") or {}
    summary_rows = {
        "parameters": ", ".join(f"{k} = {_number(v)}" for k, v in info["params"].items()),
        "segments": str(info["n_segments"]),
        "selection": str(info.get("selection", "")),
        "silhouette": _number(metrics.get("silhouette")),
        "stability": str(stability.get("summary", "")) if isinstance(stability, dict) else "",
        "surrogate accuracy": _percent(explanation.get("surrogate_accuracy")),
    }
    counts = segment_counts(profiles, summary_sizes(info))
    segments = [
        {"segment": str(r["segment"]), "name": str(r["name"]),
         "size": _count_cell(counts[int(r["segment"])]),
         "share": _percent(counts[int(r["segment"])].share), "drivers": str(r.get("drivers", ""))}
        for r in profiles.to_dict("records")
    ]  # fmt: skip
    return MethodSection(
        method=method,
        recommended=method == summary["recommended"]["method"],
        summary={k: v for k, v in summary_rows.items() if v},
        notes=[str(n) for n in info.get("notes", [])],
        figures=figures,
        segments=segments,
    )


def _count_cell(count: SegmentCount) -> str:
    """Return the customers as ``segments.csv`` counts them, e.g. ``83 (2 unusual)``."""
    if count.unusual:
        return f"{count.customers:,} ({count.unusual:,} unusual)"
    if count.counted_elsewhere:
        return f"{count.customers:,} (also in their segments)"
    return f"{count.customers:,}"


def _load_summary(folder: Path) -> dict[str, Any]:
    return read_run_summary(folder, NEEDED, hint="point at a folder written by `segmentkit run`")


def load_report_model(folder: str | Path) -> ReportModel:
    """Read a finished output folder into the report model.

    Raises
    ------
    DataError
        When the folder is missing or incomplete.
    """
    folder = Path(folder)
    summary = _load_summary(folder)
    recommended = str(summary["recommended"]["method"])
    all_profiles = read_output_csv(folder / "segment_profiles.csv")
    comparison = read_output_csv(folder / "method_comparison.csv")
    k_selection = read_output_csv(folder / "k_selection.csv")
    importance = read_output_csv(folder / "feature_importance.csv")
    points_path = folder / "plots" / "scatter_points.csv"
    points = read_output_csv(points_path) if points_path.is_file() else None
    config = summary.get("config", {})
    title = str(config.get("report", {}).get("title", "Customer segments"))
    profiles = all_profiles[all_profiles["method"] == recommended].reset_index(drop=True)
    rows = summary.get("rows", {})
    source = summary.get("input", {})
    n_segments = summary["methods"][recommended]["n_segments"]
    overview_figures = _overview_figures(folder, profiles, summary, recommended)
    rules = read_rules(folder)
    methods = []
    for method in summary["methods"]:
        method_profiles = all_profiles[all_profiles["method"] == method]
        names = dict(
            zip(method_profiles["segment"].astype(int), method_profiles["name"], strict=True)
        )
        methods.append(
            _method_section(
                folder, method, summary, k_selection, importance, points, names, method_profiles
            )
        )
    columns, leaderboard = _leaderboard(comparison)
    dropped = [(str(k), f"{int(v):,}") for k, v in rows.get("dropped", {}).items()]
    return ReportModel(
        title=title,
        subtitle=(
            f"{Path(str(source.get('path', 'input'))).name}: {int(rows.get('kept', 0)):,} "
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
        **_rfm_crosstab(folder, profiles),
        **_outcome_table(profiles, summary),
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
        leaderboard=leaderboard,
        verdict=f"{recommended}: {summary['recommended'].get('reason', '')}",
        stable=bool(summary["recommended"].get("stable", True)),
        alternative=str((summary.get("alternative") or {}).get("summary", "")),
        skipped=[(str(k), str(v)) for k, v in summary.get("skipped_methods", {}).items()],
        recommended=recommended,
        overview_figures=overview_figures,
        segments=[
            dataclasses.replace(s, rule=segment_rule(rules, recommended, s.segment))
            for s in _segment_sections(profiles, summary, recommended)
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


def _rfm_crosstab(folder: Path, profiles: pd.DataFrame) -> dict[str, Any]:
    """Count each segment's customers by standard RFM group (data from transactions)."""
    path = folder / "segments.csv"
    if not path.is_file():  # the Dask backend writes segments/ (Parquet) instead
        return {}
    header = pd.read_csv(path, nrows=0).columns
    if "rfm_group" not in header:
        return {}
    data = pd.read_csv(path, usecols=["segment", "rfm_group"], keep_default_na=False)
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


def _overview_figures(
    folder: Path, profiles: pd.DataFrame, summary: dict[str, Any], method: str
) -> list[Figure]:
    figures = [
        Figure(
            id="sizes",
            title="Segment sizes" + (" and share of value" if "value_share" in profiles else ""),
            plotly_json=interactive.sizes_figure(profiles, method=method),
            kind="sizes",
        )
    ]
    numeric = [f for f in summary.get("population", {}).get("numeric", {}) if f"{f}_z" in profiles]
    if numeric and (profiles["segment"] >= 0).sum() > 0:
        figures.append(
            Figure(
                id="heatmap",
                title="How the segments differ",
                plotly_json=interactive.heatmap_figure(
                    profiles,
                    numeric[:25],
                    method=method,
                    typical={
                        f: str(stats.get("typical", "mean"))
                        for f, stats in summary["population"]["numeric"].items()
                    },
                ),
                caption=(
                    "Colour: standardised difference from all customers; text: segment mean "
                    "(median for skewed columns, which the model compares on a log scale)."
                ),
                kind="heatmap",
            )
        )
    migration_path = folder / "segment_migration.csv"
    if migration_path.is_file():
        migration = read_output_csv(migration_path)
        rows = migration[migration["method"] == method]
        previous = (summary.get("previous") or {}).get("methods", {}).get(method, {})
        if len(rows):
            figures.append(
                Figure(
                    id="migration",
                    title="Since the previous run",
                    plotly_json=interactive.migration_figure(rows, method=method),
                    caption=(
                        f"Compared with {summary['previous'].get('folder', 'the previous run')}: "
                        f"{plural(len(previous.get('matched', {})), 'segment')} kept their "
                        "identity; "
                        f"new: {', '.join(map(str, previous.get('new_segments', []))) or 'none'}; "
                        f"vanished: {', '.join(map(str, previous.get('vanished', []))) or 'none'}. "
                        f"{int(rows['customers'].sum()):,} customers are in both runs."
                    ),
                    kind="migration",
                )
            )
    figures += _image(folder, f"drivers_{method}.png", "Top drivers by segment")
    figures += _image(
        folder,
        f"silhouette_{method}.png",
        "Silhouette of every customer",
        caption="How well each customer fits its segment (1: clearly; below 0: closer to another).",
    )
    return figures
