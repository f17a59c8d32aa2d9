"""Static figures of how each method chose its parameters, drawn with matplotlib.

Criteria curves (elbow, silhouette, BIC, DBSCAN candidates), the k-distance curve, the
truncated dendrogram and the per-customer silhouette plot. Like :mod:`.static`, every
function takes plain data, refits nothing and returns a figure made without pyplot.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter
from scipy.cluster import hierarchy

from segmentkit.plots._style import (
    _GREY,
    _MARK,
    _MAX_CURVE_POINTS,
    CHOSEN_COLOUR,
    WIDTH,
    _group_labels,
    _group_order,
    _label,
    _mark_x,
    _message_figure,
    _new_figure,
    _numeric,
    _ordinal,
    _tag,
    _titles,
    _with_fonts,
)
from segmentkit.plots.colours import NOISE_COLOUR, segment_colours
from segmentkit.text import format_number

__all__ = ["criteria_curves", "dendrogram", "k_distance_curve", "silhouette_plot"]

logger = logging.getLogger(__name__)


def _chosen_mask(criteria: pd.DataFrame) -> np.ndarray:
    if "chosen" not in criteria.columns:
        raise ValueError("criteria lacks the column 'chosen' (True for the chosen candidate)")
    # Read back from CSV the flag may be text: compare spellings, not truthiness.
    flags = [str(v).strip().lower() in {"true", "1", "1.0", "yes"} for v in criteria["chosen"]]
    mask = np.array(flags, dtype=bool)
    if mask.sum() != 1:
        logger.warning("criteria: %d candidates marked chosen; expected one", int(mask.sum()))
    return mask


def _has(criteria: pd.DataFrame, column: str) -> bool:
    return column in criteria.columns and bool(np.isfinite(_numeric(criteria[column])).any())


def _silhouette_panel(ax: Axes, x: np.ndarray, silhouette: np.ndarray) -> None:
    finite = np.isfinite(silhouette) & np.isfinite(x)
    if finite.any():
        ax.plot(x[finite], silhouette[finite], marker="o", color="#59a14f")
    else:
        ax.text(0.5, 0.5, "Silhouette not available\nfor these candidates", ha="center",
                va="center", color=_GREY, transform=ax.transAxes)  # fmt: skip
        ax.set_xlim(np.nanmin(x) - 0.5, np.nanmax(x) + 0.5)
    ax.set_ylabel("Silhouette (higher is better)")


def _panels(k: np.ndarray | None = None) -> tuple[Figure, Axes, Axes]:
    fig = _new_figure(WIDTH + 1, 4.6)
    left, right = fig.subplots(1, 2)
    for ax in (left, right):
        ax.grid(alpha=0.3)
        if k is not None:
            ax.set_xlabel("Number of segments (k)")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig, left, right


def _elbow_curves(criteria: pd.DataFrame, chosen: np.ndarray) -> Figure:
    k = _numeric(criteria["k"])
    order = np.argsort(k, kind="stable")
    k, chosen = k[order], chosen[order]
    fig, left, right = _panels(k)
    left.plot(k, _numeric(criteria["inertia"])[order], marker="o", color="#4e79a7")
    left.set_ylabel("Inertia (spread within segments)")
    left.set_title("Elbow: where more segments stop paying off", fontsize=10)
    sil = _numeric(criteria["silhouette"]) if "silhouette" in criteria else np.full(len(k), np.nan)
    _silhouette_panel(right, k, sil[order])
    right.set_title("Separation of the segments", fontsize=10)
    if chosen.any():
        for ax in (left, right):
            _mark_x(ax, float(k[chosen][0]), f"chosen k = {int(k[chosen][0])}")
    return fig


def _gmm_curves(criteria: pd.DataFrame, chosen: np.ndarray) -> Figure:
    k, bic = _numeric(criteria["k"]), _numeric(criteria["bic"])
    covariance = criteria["covariance_type"].astype(str).to_numpy()
    fig, left, right = _panels(k)
    for name in pd.unique(covariance):
        rows = np.flatnonzero(covariance == name)
        rows = rows[np.argsort(k[rows], kind="stable")]
        left.plot(k[rows], bic[rows], marker="o", label=_label(name))
    at = int(np.flatnonzero(chosen)[0]) if chosen.any() else 0
    if chosen.any():
        left.plot(k[at], bic[at], "*", markersize=16, color=CHOSEN_COLOUR, label="chosen")
    fig.legend(loc="outside lower center", ncols=5, frameon=False, fontsize=9,
               title="Covariance type", title_fontsize=9)  # fmt: skip
    left.set_ylabel("BIC (lower is better)")
    left.set_title("Bayesian information criterion", fontsize=10)
    rows = np.flatnonzero(covariance == covariance[at])
    rows = rows[np.argsort(k[rows], kind="stable")]
    sil = _numeric(criteria["silhouette"]) if "silhouette" in criteria else np.full(len(k), np.nan)
    _silhouette_panel(right, k[rows], sil[rows])
    right.set_title(f"Separation ({_label(covariance[at])} covariance)", fontsize=10)
    if chosen.any():
        _mark_x(left, float(k[at]), f"chosen k = {int(k[at])} ({_label(covariance[at])})")
        _mark_x(right, float(k[at]), f"chosen k = {int(k[at])}")
    return fig


def _dbscan_curves(criteria: pd.DataFrame, chosen: np.ndarray) -> Figure:
    eps = _numeric(criteria["eps"])
    order = np.argsort(eps, kind="stable")
    eps, chosen = eps[order], chosen[order]
    fig, left, right = _panels()
    left.plot(eps, _numeric(criteria["n_segments_found"])[order], marker="o", color="#4e79a7")
    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_ylabel("Segments found")
    right.plot(eps, _numeric(criteria["noise_share"])[order], marker="o", color=NOISE_COLOUR)
    right.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    right.set_ylabel("Customers left as noise")
    for ax in (left, right):
        ax.set_xlabel("eps (neighbourhood radius, scaled units)")
        if chosen.any():
            _mark_x(ax, float(eps[chosen][0]), f"chosen eps = {format_number(eps[chosen][0])}")
    return fig


@_with_fonts
def criteria_curves(criteria: pd.DataFrame, *, method: str) -> Figure:
    """Plot the selection criteria of one method against its candidates, choice marked.

    Parameters
    ----------
    criteria : pandas.DataFrame
        Rows of ``k_selection.csv`` for one method, with boolean ``chosen`` (one True).
        With ``k`` and ``inertia`` (kmeans, agglomerative): elbow and silhouette against
        k. With ``k``, ``covariance_type`` and ``bic`` (gmm): BIC against k per covariance
        type, and silhouette of the chosen type. With ``eps``, ``n_segments_found`` and
        ``noise_share`` but no ``k`` (dbscan): segments found and noise share against
        eps. Missing (NaN) silhouettes are left out.
    method : str
        Method name, for the title.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels, each with a dashed line labelled "chosen k = 5" (or eps).
    """
    if criteria.empty:
        return _message_figure(f"No candidates to show for {_label(method)}")
    chosen = _chosen_mask(criteria)
    if _has(criteria, "eps") and not _has(criteria, "k"):
        fig, what = _dbscan_curves(criteria, chosen), "the neighbourhood radius (eps) was"
    elif "covariance_type" in criteria.columns and _has(criteria, "bic"):
        fig, what = _gmm_curves(criteria, chosen), "k and the covariance type were"
    elif _has(criteria, "k") and _has(criteria, "inertia"):
        fig, what = _elbow_curves(criteria, chosen), "the number of segments was"
    else:
        raise ValueError(
            f"criteria for {method!r} need k and inertia; k, covariance_type and bic; or eps. "
            f"Got columns {list(criteria.columns)}"
        )
    fig.suptitle(f"{_label(method)}: how {what} chosen", fontsize=13)
    return fig


@_with_fonts
def k_distance_curve(distances: Sequence[float], *, eps: float, min_samples: int) -> Figure:
    """Plot each customer's sorted distance to its ``min_samples``-th neighbour, with eps.

    Parameters
    ----------
    distances : sequence of float
        Distance of each customer to its ``min_samples``-th nearest neighbour (any order).
    eps : float
        The chosen DBSCAN radius, drawn as a labelled horizontal line.
    min_samples : int
        DBSCAN's ``min_samples``, for the labels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    curve = np.sort(np.asarray(distances, dtype=float).ravel())
    curve = curve[np.isfinite(curve)]
    if curve.size == 0:
        return _message_figure("No k-distances to show")
    ranks = np.arange(curve.size)
    if curve.size > _MAX_CURVE_POINTS:
        ranks = np.unique(np.linspace(0, curve.size - 1, _MAX_CURVE_POINTS).round().astype(int))
    fig = _new_figure(WIDTH, 4.8)
    ax = fig.add_subplot()
    ax.plot(ranks + 1, curve[ranks], color="#4e79a7", linewidth=1.5)
    ax.axhline(eps, **_MARK)
    _tag(ax, f"eps = {format_number(eps)}", (0, eps), ("axes fraction", "data"), fontsize=10)
    ax.set_xlabel(f"Customers sorted by distance ({curve.size:,})")
    ax.set_ylabel(f"Distance to {_ordinal(min_samples)} nearest neighbour")
    ax.set_title(f"k-distance curve (min_samples = {min_samples}): eps is read off the bend")
    ax.grid(alpha=0.3)
    return fig


@_with_fonts
def dendrogram(
    linkage: np.ndarray, *, k: int, max_leaves: int = 30, linkage_method: str = "ward"
) -> Figure:
    """Draw the top of a hierarchical-clustering tree and the cut into ``k`` segments.

    Parameters
    ----------
    linkage : numpy.ndarray
        SciPy linkage matrix, shape ``(n - 1, 4)``.
    k : int
        Number of segments; the cut lies midway between merges ``-k`` and ``-k + 1``.
    max_leaves : int, default 30
        Branches shown (SciPy ``truncate_mode="lastp"``), at least ``k``; the number in
        brackets under a branch is its count of customers.
    linkage_method : str, default "ward"
        How the tree was built, for the title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    tree = np.asarray(linkage, dtype=float)
    if tree.ndim != 2 or tree.shape[1] != 4 or len(tree) == 0:
        raise ValueError(f"linkage must be a SciPy linkage matrix (n-1, 4), got {tree.shape}")
    if not 1 <= k <= len(tree) + 1:
        raise ValueError(f"k must be between 1 and {len(tree) + 1}, got {k}")
    heights = tree[:, 2]  # ascending for Ward, complete, average and single linkage
    below = heights[-k] if k <= len(heights) else 0.0
    above = heights[-k + 1] if k > 1 else heights[-1] * 1.1
    cut = float(below + above) / 2
    shown = max(max_leaves, k)
    truncated = len(tree) + 1 > shown
    fig = _new_figure(WIDTH, 5.2)
    ax = fig.add_subplot()
    hierarchy.dendrogram(tree, truncate_mode="lastp" if truncated else None, p=shown, ax=ax,
                         link_color_func=lambda _: "#4d4d4d", leaf_font_size=9)  # fmt: skip
    ax.axhline(cut, **_MARK)
    _tag(ax, f"cut: {k} segments", (1, cut), ("axes fraction", "data"), ha="right",
         xytext=(-4, 4), fontsize=10)  # fmt: skip
    name = "Ward" if linkage_method.lower() == "ward" else f"{_label(linkage_method)}-linkage"
    branches = f" (top {shown} branches)" if truncated else ""
    ax.set_title(f"{name} dendrogram{branches}; cut into {k} segments")
    ax.set_ylabel("Merge height (distance)")
    ax.set_xlabel("Groups of customers (size in brackets)" if truncated else "Customers")
    return fig


@_with_fonts
def silhouette_plot(
    values: np.ndarray,
    labels: np.ndarray,
    *,
    names: Mapping[int, str],
    average: float,
    note: str = "",
) -> Figure:
    """Plot per-customer silhouettes, sorted within each segment, segments stacked.

    Parameters
    ----------
    values : numpy.ndarray
        Silhouette value of each customer, shape ``(n,)``.
    labels : numpy.ndarray
        Segment of each customer, shape ``(n,)``; labels below 0 (noise) are skipped.
    names : mapping of int to str
        Segment names, shown beside each band.
    average : float
        Average silhouette, drawn as a dashed vertical line.
    note : str, optional
        Subtitle, e.g. the sample the values were computed on.

    Returns
    -------
    matplotlib.figure.Figure
        One filled band per segment, the first segment at the top.
    """
    vals = np.asarray(values, dtype=float).ravel()
    labs = np.asarray(labels).astype(int).ravel()
    if vals.shape != labs.shape:
        raise ValueError(f"values and labels differ in length: {vals.size} vs {labs.size}")
    keep = (labs >= 0) & np.isfinite(vals)
    segments = _group_order(labs[keep])
    title = "How well each customer fits its segment (silhouette)"
    if not segments:
        return _message_figure("No silhouette: no customer is in a segment", title)
    colours, tags = segment_colours(segments), _group_labels(segments, names)
    fig = _new_figure(WIDTH, float(np.clip(3 + 0.45 * len(segments), 4.5, 9)))
    ax = fig.add_subplot()
    gap = max(keep.sum() * 0.02, 1.0)  # white space between bands, in customers
    start, centres = 0.0, []
    for segment in segments:
        band = np.sort(vals[keep & (labs == segment)])[::-1]
        count = band.size
        if count > _MAX_CURVE_POINTS:
            band = band[np.linspace(0, count - 1, _MAX_CURVE_POINTS).round().astype(int)]
        rows = np.linspace(start, start + count, band.size)
        ax.fill_betweenx(rows, 0, band, color=colours[segment], alpha=0.85, linewidth=0)
        centres.append(start + count / 2)
        start += count + gap
    ax.set_yticks(centres, labels=[tags[s] for s in segments])
    ax.set_ylim(start, -gap)  # first segment at the top
    ax.set_xlim(min(-0.1, float(vals[keep].min()) - 0.05), 1.0)
    ax.axvline(0, color="black", linewidth=0.8)
    if np.isfinite(average):
        _mark_x(ax, float(average), f"average {average:.2f}")
    ax.set_xlabel("Silhouette, -1 to 1: how much closer to its own segment than to the next")
    ax.set_ylabel("Customers, by segment")
    _titles(fig, ax, title, note)
    return fig
