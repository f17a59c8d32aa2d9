"""The report's figures: interactive plotly JSON from the run's tables, PNGs from ``plots/``.

Each figure is drawn from what the output folder holds (nothing is refitted); a PNG that
was not written (``--no-figures``, or a method without that plot) is simply left out.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pandas as pd

from segmentkit.describe.importance_words import importance_headline
from segmentkit.output.folder import OutputFolder
from segmentkit.plots import interactive
from segmentkit.text import plural

__all__ = ["Figure", "image_figures", "method_figures", "overview_figures"]


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


def image_figures(
    folder: OutputFolder, name: str, title: str, *, method: str = "", caption: str = ""
) -> list[Figure]:
    """Return the PNG ``plots/<name>`` as a figure, or nothing when it was not written."""
    path = folder.plot(name)
    if not path.is_file():
        return []
    return [
        Figure(
            id=name.removesuffix(".png").replace("_", "-"),
            title=title,
            image_uri="data:image/png;base64,"
            + base64.b64encode(path.read_bytes()).decode("ascii"),
            caption=caption,
            method=method,
            kind="image",
        )
    ]


def method_figures(
    folder: OutputFolder,
    method: str,
    summary: dict[str, Any],
    k_selection: pd.DataFrame,
    importance: pd.DataFrame,
    points: pd.DataFrame | None,
    names: dict[int, str],
) -> list[Figure]:
    """Return one method's figures: scatter, choice of parameters, drivers, its PNGs."""
    explanation = summary["methods"][method].get("explanation", {})
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
    figures += image_figures(folder, f"dendrogram_{method}.png", "Dendrogram", method=method)
    figures += image_figures(folder, f"k_distance_{method}.png", "k-distance curve", method=method)
    return figures


def overview_figures(
    folder: OutputFolder, profiles: pd.DataFrame, summary: dict[str, Any], method: str
) -> list[Figure]:
    """Return the figures of the recommended segmentation at the top of the report."""
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
    migration = folder.read_migration()
    if migration is not None:
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
    figures += image_figures(folder, f"drivers_{method}.png", "Top drivers by segment")
    figures += image_figures(
        folder,
        f"silhouette_{method}.png",
        "Silhouette of every customer",
        caption="How well each customer fits its segment (1: clearly; below 0: closer to another).",
    )
    return figures
