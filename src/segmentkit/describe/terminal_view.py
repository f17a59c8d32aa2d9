"""The terminal view of a segmentation: one readable table of a method's segments.

Built from a finished run in memory or from an output folder on disk, so
``segmentkit run`` and ``segmentkit profile OUT_DIR`` show exactly the same thing.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from rich.console import Group
from rich.table import Table
from rich.text import Text

from segmentkit.describe.importance_words import importance_headline
from segmentkit.describe.outcomes import describe_outcome, is_headline_outcome, outcome_population
from segmentkit.describe.segment_counts import (
    SegmentCount,
    segment_counts,
    segment_sizes,
    summary_sizes,
)
from segmentkit.errors import DataError
from segmentkit.output.folder import SUMMARY_FILE, OutputFolder
from segmentkit.text import plural

if TYPE_CHECKING:
    from segmentkit.pipeline import SegmentationRun

__all__ = ["ProfileView", "load_profile_view", "profile_view", "render_profile_view"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProfileView:
    """What the terminal view shows for one method.

    Attributes
    ----------
    method : str
        The method shown.
    recommended : str
        The run's recommended method.
    n_segments : int
        Segments found (noise and outliers not counted).
    profiles : pandas.DataFrame
        The method's rows of ``segment_profiles.csv``.
    importance : pandas.DataFrame
        The method's rows of ``feature_importance.csv`` (folders written before features
        were grouped lack the group columns: each feature is then its own group).
    surrogate_accuracy : float or None
        Held-out accuracy of the explaining forest.
    verdict : str
        Why the recommended method was recommended (and whether it is stable).
    stable : bool
        Whether the recommendation passed the stability gate.
    alternative : str
        The finer alternative, when the recommendation has two segments.
    outcomes : dict
        Outcome column to ``{"mean": all customers' mean, "rate": bool}`` (``run.json``'s
        ``population.outcomes``).
    sizes : dict or None
        Customers per segment as ``segments.csv`` counts them (flagged outliers in
        their nearest segment); ``None`` when not known (the profile sizes are shown).
    """

    method: str
    recommended: str
    n_segments: int
    profiles: pd.DataFrame
    importance: pd.DataFrame
    surrogate_accuracy: float | None
    verdict: str = ""
    stable: bool = True
    alternative: str = ""
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    sizes: dict[int, int] | None = None


def profile_view(run: SegmentationRun, method: str | None = None) -> ProfileView:
    """Return the view of ``method`` (default: the recommended one) of a finished run."""
    method = method or run.recommended
    if method not in run.results:
        raise DataError(
            f"method {method!r} is not in this run; choose from {', '.join(run.results)}"
        )
    importance = run.importance[method]
    return ProfileView(
        method=method,
        recommended=run.recommended,
        n_segments=run.results[method].n_segments,
        profiles=run.profiles[method].table,
        importance=importance.table,
        surrogate_accuracy=importance.surrogate_accuracy,
        verdict=run.recommendation_reason,
        stable=run.recommendation_stable,
        alternative=run.alternative.summary() if run.alternative is not None else "",
        outcomes=outcome_population(run.prepared.outcomes),
        sizes=segment_sizes(run.results[method].labels),
    )


def _read_csv(path: Path, read: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    try:
        return read()
    except FileNotFoundError:
        raise DataError(
            f"{path.parent} has no {path.name}; is it a segmentkit output folder?",
            hint="point at the folder `segmentkit run --out` wrote",
        ) from None
    except (OSError, ValueError) as error:
        raise DataError(f"cannot read {path}: {error}") from None


def load_profile_view(out_dir: str | Path, method: str | None = None) -> ProfileView:
    """Read the view of ``method`` (default: the recommended one) from an output folder.

    Raises
    ------
    DataError
        When the folder is not a complete segmentkit output or lacks the method.
    """
    out_dir = Path(out_dir)
    output = OutputFolder(out_dir)
    if not out_dir.is_dir():
        raise DataError(f"output folder not found: {out_dir}")
    try:
        summary = output.load_summary()
        recommended = str(summary["recommended"]["method"])
        methods = summary["methods"]
    except FileNotFoundError:
        raise DataError(
            f"{out_dir} has no {SUMMARY_FILE}; is it a segmentkit output folder?",
            hint="point at the folder `segmentkit run --out` wrote",
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(f"cannot read {output.summary_path}: {error}") from None
    method = method or recommended
    if method not in methods:
        raise DataError(f"method {method!r} is not in this run; choose from {', '.join(methods)}")
    profiles = _read_csv(output.profiles, output.read_profiles)
    importance = _read_csv(output.importance, output.read_importance)
    importance = importance[importance["method"] == method]
    accuracy = methods[method].get("explanation", {}).get("surrogate_accuracy")
    return ProfileView(
        method=method,
        recommended=recommended,
        n_segments=int(methods[method]["n_segments"]),
        profiles=profiles[profiles["method"] == method].reset_index(drop=True),
        importance=importance.drop(columns="method").reset_index(drop=True),
        surrogate_accuracy=accuracy,
        verdict=str(summary["recommended"].get("reason", "")),
        stable=bool(summary["recommended"].get("stable", True)),
        alternative=str((summary.get("alternative") or {}).get("summary", "")),
        outcomes=dict((summary.get("population") or {}).get("outcomes") or {}),
        sizes=summary_sizes(methods[method]),
    )


def _headline(view: ProfileView) -> Text:
    tag = " (recommended)" if view.method == view.recommended else ""
    if view.n_segments < 2:
        tag = " (not a usable segmentation: customers are not split)"
    lines = [f"{plural(view.n_segments, 'segment')} by {view.method}{tag}"]
    if view.verdict and view.method == view.recommended:
        warning = "" if view.stable else "Warning: "
        lines.append(f"{warning}Why {view.recommended}: {view.verdict}")
    elif view.verdict:
        # Another method's reason under this one's headline would read as this one's.
        lines.append(f"Recommended instead: {view.recommended} ({view.verdict})")
    if view.alternative and view.method == view.recommended:
        lines.append(view.alternative[0].upper() + view.alternative[1:])
    headline = importance_headline(view.importance, view.surrogate_accuracy)
    if headline:
        lines.append(headline)
    return Text("\n".join(lines))


def _outcome_cell(record: dict[Any, Any], outcomes: dict[str, dict[str, Any]]) -> str:
    """Return the (at most three) outcomes on which the segment differs most from all.

    Ranked by the standardised difference, as the drivers are: a rare result (0.1% vs
    1.3%) does not crowd out a common one that moves more (24% vs 15%).
    """
    shown = []
    for column, info in outcomes.items():
        mean = float(record.get(f"{column}_mean", math.nan))
        if mean != mean or info.get("mean") is None:
            continue
        std = info.get("std") or 1.0
        # The result a campaign is judged on (Response, y, churn ...) always comes first.
        shown.append(
            (not is_headline_outcome(column), -abs(mean - info["mean"]) / std, column, mean, info)
        )
    shown.sort(key=lambda item: item[:2])
    return "\n".join(
        describe_outcome(column, mean, info["mean"], info["rate"]).replace(" overall", "")
        for _, _, column, mean, info in shown[:3]
    )


def render_profile_view(view: ProfileView) -> Group:
    """Return the headline and the segment table, ready for ``rich.print``."""
    table = Table(show_lines=True, expand=False)
    has_value = "value_share" in view.profiles.columns
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Segment", min_width=14)
    table.add_column("Customers", justify="right", no_wrap=True)
    counts = segment_counts(view.profiles, view.sizes)
    if has_value:
        table.add_column("Value", justify="right", no_wrap=True)
    table.add_column("Key figures (segment, all)", min_width=20)
    table.add_column("Top drivers", min_width=16)
    outcomes = {c: i for c, i in view.outcomes.items() if f"{c}_mean" in view.profiles.columns}
    if outcomes:
        table.add_column("Outcomes (segment vs all)", min_width=16)
    table.add_column("Recommended action", min_width=20)
    for record in view.profiles.to_dict("records"):
        cells = [
            str(record["segment"]),
            str(record["name"]),
            _customers_cell(counts[int(record["segment"])]),
        ]
        if has_value:
            share = float(record["value_share"])
            cells.append("<1%" if 0 < share < 0.005 else f"{share:.0%}")  # "0%" reads as none
        cells += [
            str(record["key_figures"]).replace("; ", "\n"),
            str(record["drivers"]).replace("; ", "\n"),
        ]
        if outcomes:
            cells.append(_outcome_cell(record, outcomes))
        cells.append(str(record["recommendation"]))
        # Cells hold data: never let a value be read as rich markup.
        table.add_row(*(Text(cell) for cell in cells))
    parts: list[Text | Table] = [_headline(view), table]
    if any(c.unusual or c.counted_elsewhere for c in counts.values()):
        parts.append(Text(_COUNTS_NOTE))
    return Group(*parts)


#: Under the table when some customers are described apart from their segment.
_COUNTS_NOTE = (
    "Customers: as in segments.csv, where a flagged outlier keeps its nearest segment "
    "(is_outlier = true). The unusual ones are described apart in segment -2, so a "
    "segment's figures are those of its other customers."
)


def _customers_cell(count: SegmentCount) -> str:
    """Return the customers of a profile row: as segments.csv counts them, share, note."""
    lines = [f"{count.customers:,}", f"{count.share:.0%}"]
    # Short lines: the column stays as narrow as its header.
    if count.unusual:
        lines.append(f"incl. {count.unusual:,}\nunusual")
    elif count.counted_elsewhere:
        lines.append("also in\ntheir\nsegments")
    return "\n".join(lines)
