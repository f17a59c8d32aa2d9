"""The terminal view of a segmentation: one readable table of a method's segments.

Built from a finished run in memory or from an output folder on disk, so
``segmentkit run`` and ``segmentkit profile OUT_DIR`` show exactly the same thing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from rich.console import Group
from rich.table import Table
from rich.text import Text

from segmentkit.errors import DataError
from segmentkit.output import read_output_csv

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
        The method's rows of ``feature_importance.csv``.
    surrogate_accuracy : float or None
        Held-out accuracy of the explaining forest.
    verdict : str
        Why the recommended method was recommended (and whether it is stable).
    stable : bool
        Whether the recommendation passed the stability gate.
    alternative : str
        The finer alternative, when the recommendation has two segments.
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
    )


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return read_output_csv(path)
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
    if not out_dir.is_dir():
        raise DataError(f"output folder not found: {out_dir}")
    try:
        summary = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
        recommended = str(summary["recommended"]["method"])
        methods = summary["methods"]
    except FileNotFoundError:
        raise DataError(
            f"{out_dir} has no run.json; is it a segmentkit output folder?",
            hint="point at the folder `segmentkit run --out` wrote",
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(f"cannot read {out_dir / 'run.json'}: {error}") from None
    method = method or recommended
    if method not in methods:
        raise DataError(f"method {method!r} is not in this run; choose from {', '.join(methods)}")
    profiles = _read_csv(out_dir / "segment_profiles.csv")
    importance = _read_csv(out_dir / "feature_importance.csv")
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
    )


def _headline(view: ProfileView) -> Text:
    tag = " (recommended)" if view.method == view.recommended else ""
    lines = [f"{view.n_segments} segments by {view.method}{tag}"]
    if view.verdict:
        warning = "" if view.stable else "Warning: "
        lines.append(f"{warning}Why {view.recommended}: {view.verdict}")
    if view.alternative and view.method == view.recommended:
        lines.append(view.alternative[0].upper() + view.alternative[1:])
    if view.surrogate_accuracy is not None and len(view.importance):
        top = ", ".join(
            f"{row.feature} {row.permutation_mean:.2f}"
            for row in view.importance.head(3).itertuples()
        )
        lines.append(
            f"What separates the segments: {top} (accuracy a surrogate forest loses when the "
            f"feature is shuffled; it reproduces {view.surrogate_accuracy:.0%} of the segments)"
        )
    return Text("\n".join(lines))


def render_profile_view(view: ProfileView) -> Group:
    """Return the headline and the segment table, ready for ``rich.print``."""
    table = Table(show_lines=True, expand=False)
    has_value = "value_share" in view.profiles.columns
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Segment", min_width=14)
    table.add_column("Customers", justify="right", no_wrap=True)
    if has_value:
        table.add_column("Value", justify="right", no_wrap=True)
    table.add_column("Key figures (segment mean, all)", min_width=20)
    table.add_column("Top drivers", min_width=16)
    table.add_column("Recommended action", min_width=20)
    for record in view.profiles.to_dict("records"):
        cells = [
            str(record["segment"]),
            str(record["name"]),
            f"{int(record['size']):,}\n{float(record['share']):.0%}",
        ]
        if has_value:
            cells.append(f"{float(record['value_share']):.0%}")
        cells += [
            str(record["key_figures"]).replace("; ", "\n"),
            str(record["drivers"]).replace("; ", "\n"),
            str(record["recommendation"]),
        ]
        # Cells hold data: never let a value be read as rich markup.
        table.add_row(*(Text(cell) for cell in cells))
    return Group(_headline(view), table)
