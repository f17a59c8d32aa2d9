"""The report's tables: the leaderboard of methods, one section per segment and per method.

Each is built from the run's files as read back (``run.json``, ``segment_profiles.csv``,
``method_comparison.csv`` ...) into presentation-neutral strings the template shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from segmentkit.describe.outcomes import (
    describe_outcome,
    format_outcome,
    headline_first,
    outcome_lift,
)
from segmentkit.describe.segment_counts import segment_counts, summary_sizes
from segmentkit.report.figures import Figure
from segmentkit.report.formatting import cell_text, count_cell, number, parameters_text, percent
from segmentkit.text import is_year_column

__all__ = [
    "MethodSection",
    "SegmentSection",
    "leaderboard",
    "method_section",
    "outcome_table",
    "segment_sections",
]


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


def leaderboard(comparison: pd.DataFrame) -> tuple[list[str], list[dict[str, Any]]]:
    """Return the columns and rows of the methods' leaderboard (``method_comparison.csv``)."""
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
                "parameters": parameters_text(series),
                "segments": number(row.get("n_segments")),
                "noise": percent(row.get("noise_share")),
                "separation (near neighbours)": number(row.get("nn_separation")),
                "silhouette": number(row.get("silhouette")),
                "Calinski–Harabasz": number(row.get("calinski_harabasz")),
                "Davies–Bouldin": number(row.get("davies_bouldin")),
                "stability (ARI)": number(row.get("stability")),
                "note": cell_text(row.get("metrics_note")),
                "recommended": str(row.get("recommended")).lower() == "true",
            }
        )
    return columns, rows


def segment_sections(
    profiles: pd.DataFrame, summary: dict[str, Any], method: str
) -> list[SegmentSection]:
    """Return one section per profile row of ``method``: figures, drivers, actions."""
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
                    "mean": number(row[f"{feature}_mean"], year=year),
                    "median": number(row[f"{feature}_median"], year=year),
                    "min": number(row[f"{feature}_min"], year=year),
                    "max": number(row[f"{feature}_max"], year=year),
                    "all": number(stats.get("mean"), year=year),
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


def outcome_table(profiles: pd.DataFrame, summary: dict[str, Any]) -> dict[str, Any]:
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


def method_section(
    method: str, summary: dict[str, Any], profiles: pd.DataFrame, figures: list[Figure]
) -> MethodSection:
    """Return one method's section: its choice, criteria, notes, figures and segments."""
    info = summary["methods"][method]
    explanation = info.get("explanation", {})
    metrics = info.get("metrics", {})
    stability = info.get("stability") or {}
    summary_rows = {
        "parameters": ", ".join(f"{k} = {number(v)}" for k, v in info["params"].items()),
        "segments": str(info["n_segments"]),
        "selection": str(info.get("selection", "")),
        "silhouette": number(metrics.get("silhouette")),
        "stability": str(stability.get("summary", "")) if isinstance(stability, dict) else "",
        "surrogate accuracy": percent(explanation.get("surrogate_accuracy")),
    }
    counts = segment_counts(profiles, summary_sizes(info))
    segments = [
        {"segment": str(r["segment"]), "name": str(r["name"]),
         "size": count_cell(counts[int(r["segment"])]),
         "share": percent(counts[int(r["segment"])].share), "drivers": str(r.get("drivers", ""))}
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
