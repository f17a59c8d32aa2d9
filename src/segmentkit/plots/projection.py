"""Where each customer sits in the scatter plots: three axes a person can read.

The axes are the original features when the user chose exactly three (or two) numeric
ones (in their own units); otherwise the first principal components of the matrix the
methods saw, each labelled with the share of variance it explains. Above
``report.max_points`` customers a seeded sample, stratified by the recommended
segments, is drawn, and the figure says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from segmentkit.describe.profile_statistics import profile_groups
from segmentkit.selection.criteria import stratified_sample

if TYPE_CHECKING:
    from segmentkit.pipeline import SegmentationRun

__all__ = ["ScatterPoints", "scatter_points"]

logger = logging.getLogger(__name__)

AXES = ("x", "y", "z")


@dataclass(frozen=True)
class ScatterPoints:
    """The customers drawn in the scatter plots and how to label the axes.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per drawn customer: ``id``, ``x``, ``y`` (and ``z`` with three axes),
        ``group_<method>`` per method (segment, ``-1`` noise, ``-2`` outlier), then the
        hover features in original units.
    axis_labels : tuple of str
        One label per axis.
    source : str
        ``"features"`` (original columns) or ``"pca"``.
    n_total : int
        Customers in the segmentation.
    hover_features : tuple of str
        Columns shown when hovering a point.
    note : str
        What was sampled, for the figure; empty when every customer is drawn.
    """

    table: pd.DataFrame
    axis_labels: tuple[str, ...]
    source: str
    n_total: int
    hover_features: tuple[str, ...]
    note: str = ""

    def describe(self) -> dict[str, Any]:
        """Return the facts the report needs besides the table, as JSON data."""
        return {
            "axis_labels": list(self.axis_labels),
            "source": self.source,
            "n_points": len(self.table),
            "n_total": self.n_total,
            "hover_features": list(self.hover_features),
            "note": self.note,
        }


def _chosen_features(run: SegmentationRun) -> list[str] | None:
    chosen = run.config.input.features
    numeric = run.prepared.numeric_features
    # Two chosen features are drawn as they are too: a rotation would only hide the units.
    if chosen is not None and len(chosen) in (2, 3) and all(c in numeric for c in chosen):
        return list(chosen)
    return None


def scatter_points(run: SegmentationRun, *, max_points: int, seed: int) -> ScatterPoints:
    """Compute the scatter-plot coordinates of a finished run (no refitting of segments).

    Parameters
    ----------
    run : SegmentationRun
        The finished run.
    max_points : int
        Largest number of customers drawn.
    seed : int
        Seed of the sample and of the PCA solver.

    Returns
    -------
    ScatterPoints
    """
    prepared = run.prepared
    n_total = len(prepared.X)
    rows = np.arange(n_total)
    note = ""
    if n_total > max_points:
        rows = stratified_sample(run.labels, max_points, seed)
        note = f"{len(rows):,} of {n_total:,} customers shown (seeded sample stratified by segment)"
        logger.info("Scatter plots: %s", note)
    features = _chosen_features(run)
    if features is not None:
        values = prepared.cleaned[features].iloc[rows]
        coordinates = values.fillna(prepared.cleaned[features].median()).to_numpy(dtype=float)
        labels: tuple[str, ...] = tuple(features)
        source = "features"
    else:
        n_components = min(3, prepared.X.shape[1], n_total)
        pca = PCA(n_components=n_components, random_state=seed).fit(prepared.X)
        coordinates = pca.transform(prepared.X[rows])
        labels = tuple(
            f"PC{i + 1} ({share:.0%} of variance)"
            for i, share in enumerate(pca.explained_variance_ratio_)
        )
        source = "pca"
    if coordinates.shape[1] == 1:
        # One feature: a strip along it. The figures need two axes; a flat second one
        # shows the segments as intervals instead of failing.
        coordinates = np.column_stack([coordinates, np.zeros(len(coordinates))])
        labels = (*labels, "(no second feature)")
    table = pd.DataFrame({"id": prepared.ids.to_numpy()[rows]})
    for axis, column in zip(AXES, coordinates.T, strict=False):
        table[axis] = column
    for method, result in run.results.items():
        table[f"group_{method}"] = profile_groups(result.labels, prepared.fit_mask)[rows]
    hover = _hover_features(run)
    for feature in hover:
        table[feature] = prepared.cleaned[feature].to_numpy()[rows]
    return ScatterPoints(table, labels, source, n_total, tuple(hover), note)


def _hover_features(run: SegmentationRun) -> list[str]:
    """Return the recommended method's three most important original features."""
    importance = run.importance[run.recommended].table
    ranked = [str(f) for f in importance["feature"]] or list(run.prepared.features)
    reserved = {"id", *AXES} | {f"group_{m}" for m in run.results}
    return [f for f in ranked if f not in reserved][:3]
