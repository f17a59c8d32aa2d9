"""Static PNG figures of a segmentation, drawn with matplotlib's object API.

Every function takes plain data (frames, arrays, dicts), refits nothing and returns a
:class:`~matplotlib.figure.Figure` made without :mod:`matplotlib.pyplot`, so no figure
registry, GUI backend or browser is involved. :func:`save_figure` writes one with the Agg
canvas, and the same figure always gives the same bytes. Text taken from the data (column
and segment names) goes through :func:`mpl_text`, because matplotlib reads ``$...$`` as
mathematics and can fail on it.
"""

from __future__ import annotations

import logging
import textwrap
import warnings
from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter
from mpl_toolkits.mplot3d import Axes3D
from scipy.cluster import hierarchy

from segmentkit.plots.colours import NOISE_COLOUR, OUTLIER_COLOUR, segment_colours
from segmentkit.profiles import NOISE_NAME, OUTLIER_NAME, UNUSUAL_SEGMENT
from segmentkit.text import format_number

__all__ = [
    "criteria_curves",
    "dendrogram",
    "driver_distributions",
    "importance_bars",
    "k_distance_curve",
    "mpl_text",
    "profile_heatmap",
    "save_figure",
    "scatter_3d",
    "segment_sizes",
    "silhouette_plot",
]

logger = logging.getLogger(__name__)

#: Resolution of saved PNGs: a 9 in figure is ~1,000 px, sharp on a laptop and in print.
DPI = 110
#: Width of every figure in inches (two-panel figures get one more).
WIDTH = 9.0
#: Longest label drawn from the data; longer ones end in an ellipsis.
LABEL_LIMIT = 40
#: Names of the unusual customers when the caller's names give none.
UNUSUAL_NAMES = {-1: NOISE_NAME, UNUSUAL_SEGMENT: OUTLIER_NAME}
#: Colour of the chosen candidate, the cut and the average in every figure.
CHOSEN_COLOUR = "#c0392b"
# Sorted curves and silhouette bands longer than this are drawn from evenly spaced ranks:
# the shape is kept while the PNG stays small and quick to draw.
_MAX_CURVE_POINTS = 4000
_MAX_GROUP_POINTS = 20_000  # values per segment in a box or violin, see _order_statistics
_GREY = "#555555"
_MARK: dict[str, Any] = {"color": CHOSEN_COLOUR, "linestyle": "--", "linewidth": 1.2}
_TAG: dict[str, Any] = {"textcoords": "offset points", "color": CHOSEN_COLOUR, "fontsize": 9}
_TAG["bbox"] = {"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1}
# A white line with a dark rim shows on every segment colour, the near-black one included.
_HALO: dict[str, Any] = {"color": "white", "linewidth": 1.5}
_HALO["path_effects"] = [patheffects.withStroke(linewidth=3, foreground="#222222")]


def mpl_text(text: str) -> str:
    r"""Escape ``$`` so matplotlib shows text as written rather than as mathematics.

    Parameters
    ----------
    text : str
        Text from the data: a column name, a segment name.

    Returns
    -------
    str
        The text with every ``$`` as ``\$``, which matplotlib draws as ``$``.

    Examples
    --------
    >>> mpl_text("Spend ($) $x$")
    'Spend (\\$) \\$x\\$'
    """
    return str(text).replace("$", r"\$")


def _label(text: object, limit: int = LABEL_LIMIT) -> str:
    # Newlines and tabs in a name would break the layout; long names crowd the axes.
    value = " ".join(str(text).split())
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return mpl_text(value)


def _group_order(groups: Any) -> list[int]:
    """Segments in number order, then noise (-1), then outliers (-2)."""
    return sorted({int(g) for g in np.asarray(groups).ravel()}, key=lambda g: (g < 0, abs(g)))


def _group_labels(
    groups: Sequence[int], names: Mapping[int, str], limit: int = LABEL_LIMIT
) -> dict[int, str]:
    """Escaped, shortened label of each group; distinct, as they serve as categories."""
    labels: dict[int, str] = {}
    for group in groups:
        name = names.get(group) or UNUSUAL_NAMES.get(group, f"Segment {group}")
        label = _label(name, limit)
        if label in labels.values():
            label = _label(name, limit - 6) + f" ({group})"
        labels[group] = label
    return labels


def _numeric(series: pd.Series) -> np.ndarray:
    """Floats with NaN for gaps: CSV columns arrive as Int64 with <NA>, or as text."""
    return np.asarray(pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan))


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)  # attaches itself, so text can be measured without pyplot
    return fig


def _message_figure(message: str, title: str = "") -> Figure:
    fig = _new_figure(WIDTH, 3.0)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, transform=ax.transAxes)
    ax.set_title(title)
    return fig


def _titles(fig: Figure, ax: Axes, title: str, note: str) -> None:
    fig.suptitle(_label(title, 90), fontsize=13)
    if note:
        ax.set_title(_label(note, 110), fontsize=9, color=_GREY)


def _tag(ax: Axes, text: str, xy: tuple[float, float], coords: tuple[str, str], **how: Any) -> None:
    ax.annotate(text, xy=xy, xycoords=coords, **{"xytext": (4, 4), **_TAG, **how})


def _mark_x(ax: Axes, x: float, text: str) -> None:
    """Dashed vertical line at ``x``, ``text`` beside its top, kept inside the axes."""
    ax.axvline(x, **_MARK)
    low, high = ax.get_xlim()
    right = high > low and (x - low) / (high - low) > 0.6
    _tag(ax, text, (x, 1), ("data", "axes fraction"), va="top", ha="right" if right else "left",
         xytext=(-4 if right else 4, -4))  # fmt: skip


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _percent(share: float) -> str:
    return f"{share:.1%}" if 0 < share < 0.01 else f"{share:.0%}"


def scatter_3d(
    points: pd.DataFrame,
    *,
    axis_labels: Sequence[str],
    names: Mapping[int, str],
    title: str,
    note: str = "",
) -> Figure:
    """Scatter of customers in two or three dimensions, coloured by segment.

    Parameters
    ----------
    points : pandas.DataFrame
        Float columns ``x``, ``y`` and optionally ``z``; int column ``group`` (segment
        >= 0, -1 noise, -2 outliers). Every row is drawn: sample before calling.
    axis_labels : sequence of str
        Label of each axis (two, or three with ``z``).
    names : mapping of int to str
        Name of each group for the legend; -1 and -2 default to "Unusual customers".
    title : str
        Figure title.
    note : str, optional
        Subtitle, e.g. "5,000 of 1,000,000 customers shown (stratified sample)".

    Returns
    -------
    matplotlib.figure.Figure
        A 3D axes (``projection="3d"``) with ``z``, else a 2D one; one legend entry per
        group, segments first. Noise is grey crosses, outliers hollow black diamonds.
    """
    missing = sorted({"x", "y", "group"} - set(points.columns))
    if missing:
        raise ValueError(f"points lacks columns {missing}; expected x, y, optional z and group")
    dims = ["x", "y", "z"] if "z" in points.columns else ["x", "y"]
    if len(axis_labels) < len(dims):
        raise ValueError(f"axis_labels needs {len(dims)} labels, got {len(axis_labels)}")
    fig = _new_figure(WIDTH, 7.5 if len(dims) == 3 else 6.5)
    ax = fig.add_subplot(projection="3d") if len(dims) == 3 else fig.add_subplot()
    groups = points["group"].to_numpy(dtype=int)
    colours, order = segment_colours(groups), _group_order(groups)
    labels = _group_labels(order, names)
    size = float(np.clip(6000 / max(len(points), 1), 4, 30))
    handles = []
    for group in order:
        coords = points.loc[groups == group, dims].to_numpy(dtype=float).T
        # Unusual customers are few, thin or hollow: larger markers keep them findable.
        style: dict[str, Any] = {"s": size if group >= 0 else 1.5 * size, "linewidths": 1.0}
        if group == -1:
            style.update(marker="x", color=NOISE_COLOUR)
        elif group < -1:
            style.update(marker="D", facecolors="none", edgecolors=OUTLIER_COLOUR)
        else:
            style.update(marker="o", color=colours[group], alpha=0.75, linewidths=0.0)
        if len(dims) == 3:
            handles.append(cast(Axes3D, ax).scatter(*coords, **style))
        else:
            handles.append(ax.scatter(*coords, **style))
    ax.set_xlabel(_label(axis_labels[0]))
    ax.set_ylabel(_label(axis_labels[1]))
    if len(dims) == 3:
        cast(Axes3D, ax).set_zlabel(_label(axis_labels[2]))
        # The layout does not see 3D tick labels: zooming out keeps the z label inside.
        cast(Axes3D, ax).set_box_aspect(None, zoom=0.95)
    else:
        ax.grid(alpha=0.3)
    # Explicit labels: a legend drops handles whose own label starts with "_".
    scale = max(1.0, (40 / size) ** 0.5)
    fig.legend(handles, [labels[g] for g in order], loc="outside lower center", frameon=False,
               ncols=min(3, len(order)), fontsize=9, markerscale=scale)  # fmt: skip
    _titles(fig, ax, title, note)
    return fig


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


def importance_bars(
    importance: pd.DataFrame, *, method: str, accuracy: float | None, top: int = 15
) -> Figure:
    """Plot the permutation importance of each feature in the surrogate, largest on top.

    Parameters
    ----------
    importance : pandas.DataFrame
        Columns ``feature, permutation_mean, permutation_std, rf_importance``.
    method : str
        Method name, for the title.
    accuracy : float or None
        Surrogate accuracy as a fraction (0.98 shows as "98%"); left out when None.
    top : int, default 15
        Most features shown.

    Returns
    -------
    matplotlib.figure.Figure
        Horizontal bars with standard-deviation error bars; an empty table gives a figure
        saying "No importance: fewer than two segments".
    """
    title = f"What tells the {_label(method)} segments apart"
    if accuracy is not None:
        title += f" (surrogate accuracy {accuracy:.0%})"
    if importance.empty:
        return _message_figure("No importance: fewer than two segments", title)
    missing = sorted({"feature", "permutation_mean"} - set(importance.columns))
    if missing:
        raise ValueError(f"importance lacks columns {missing}")
    mean = _numeric(importance["permutation_mean"])
    std = _numeric(importance["permutation_std"]) if "permutation_std" in importance else 0 * mean
    order = np.argsort(-np.nan_to_num(mean, nan=-np.inf), kind="stable")[:top]
    fig = _new_figure(WIDTH, float(np.clip(1.6 + 0.38 * len(order), 3.5, 9)))
    ax = fig.add_subplot()
    rows = np.arange(len(order))[::-1]  # most important first, at the top
    ax.barh(rows, mean[order], xerr=np.nan_to_num(std[order]), color="#4e79a7",
            error_kw={"ecolor": "#333333", "capsize": 3, "linewidth": 1})  # fmt: skip
    ax.set_yticks(rows, labels=[_label(f) for f in importance["feature"].to_numpy()[order]])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("Drop in surrogate accuracy when the feature is shuffled")
    ax.grid(axis="x", alpha=0.3)
    shown = len(order) < len(importance)
    _titles(fig, ax, title, f"Top {len(order)} of {len(importance)} features" if shown else "")
    return fig


def profile_heatmap(z: pd.DataFrame, means: pd.DataFrame, *, names: Mapping[int, str]) -> Figure:
    """Draw segments by features: colour the standardised difference, write the real mean.

    Parameters
    ----------
    z : pandas.DataFrame
        Standardised difference from all customers of each segment (index, ints) in each
        feature (columns); diverging colours centred at 0, capped at ±3.
    means : pandas.DataFrame
        Mean of each feature per segment in original units, labelled like ``z``; written
        in the cells with about three significant digits.
    names : mapping of int to str
        Segment names, the row labels.

    Returns
    -------
    matplotlib.figure.Figure
        Wider than 10 in only with many features.
    """
    import seaborn as sns  # slow to import, and only two figures need it

    if z.empty:
        return _message_figure("No profile to show")
    values = z.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    real = means.reindex(index=z.index, columns=z.columns).apply(pd.to_numeric, errors="coerce")
    annot = np.vectorize(lambda v: mpl_text(format_number(float(v))), otypes=[object])(real)
    finite = np.abs(values[np.isfinite(values)])
    limit = float(np.clip(finite.max() if finite.size else 1.0, 1.0, 3.0))
    tags = _group_labels([int(s) for s in z.index], names)
    rows, cols = values.shape
    fig = _new_figure(float(np.clip(4 + 0.9 * cols, 8, 16)), float(np.clip(3 + 0.5 * rows, 4, 10)))
    ax = fig.add_subplot()
    # No ``center``: seaborn would rebuild the colormap; symmetric limits centre it at 0.
    sns.heatmap(np.clip(values, -limit, limit), ax=ax, cmap="RdBu_r", vmin=-limit, vmax=limit,
                annot=annot, fmt="", annot_kws={"fontsize": 9}, linewidths=0.5,
                xticklabels=[_label(c, 30) for c in z.columns], yticklabels=list(tags.values()),
                cbar_kws={"label": "vs all customers (SD)"})  # fmt: skip
    ax.tick_params(axis="y", labelrotation=0)
    for tick in ax.get_xticklabels():
        tick.set(rotation=35, ha="right", rotation_mode="anchor")
    fig.suptitle("Segment profiles: colour = difference from average, number = segment mean")
    return fig


def _order_statistics(values: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each group's finite values, sorted; above the limit, evenly spaced ranks of them.

    Evenly spaced ranks are quantiles: medians, quartiles and extremes survive, while
    seaborn is spared grouping (and a violin's density estimate) a million rows.
    """
    kept, groups = [], []
    for code in np.unique(codes):
        group = np.sort(values[(codes == code) & np.isfinite(values)])
        if group.size > _MAX_GROUP_POINTS:
            group = group[np.linspace(0, group.size - 1, _MAX_GROUP_POINTS).round().astype(int)]
        kept.append(group)
        groups.append(np.full(group.size, code))
    return np.concatenate(kept), np.concatenate(groups)


def driver_distributions(
    values: pd.DataFrame,
    groups: np.ndarray,
    *,
    names: Mapping[int, str],
    kind: str = "box",
) -> Figure:
    """Plot the distribution of up to four features per segment, in original units.

    Parameters
    ----------
    values : pandas.DataFrame
        One column per feature (the first four are shown), one row per customer.
    groups : numpy.ndarray
        Segment of each customer, shape ``(n,)``; -1 and -2 are shown when present.
    names : mapping of int to str
        Segment names, along the x axis.
    kind : {"box", "violin"}, default "box"
        Seaborn box plots or violin plots. A segment of more than 20,000 customers is
        drawn from 20,000 of its quantiles, which keeps median, quartiles and extremes.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per feature, the column name as y label.
    """
    import seaborn as sns  # slow to import, and only two figures need it

    if kind not in {"box", "violin"}:
        raise ValueError(f"kind must be 'box' or 'violin', got {kind!r}")
    segment_of = np.asarray(groups).astype(int).ravel()
    if len(segment_of) != len(values):
        raise ValueError(f"groups has {len(segment_of)} rows, values {len(values)}")
    if values.shape[1] == 0:
        return _message_figure("No features to show")
    if values.shape[1] > 4:
        logger.warning("driver_distributions: %d columns given, first 4 shown", values.shape[1])
    columns = list(values.columns[:4])
    order = _group_order(segment_of)
    colours, tags = segment_colours(order), _group_labels(order, names)
    # Two short lines read better under a rotated tick than one long one.
    wrap = textwrap.TextWrapper(24, max_lines=2, placeholder="…", break_long_words=False)
    categories = ["\n".join(wrap.wrap(tags[g])) for g in order]
    if len(set(categories)) < len(categories):  # wrapping cut off what told them apart
        categories = [tags[g] for g in order]
    codes = np.argsort(order)[np.searchsorted(np.sort(order), segment_of)]
    palette = {label: colours[g] for label, g in zip(categories, order, strict=True)}
    common: dict[str, Any] = {"x": "segment", "y": "value", "hue": "segment", "legend": False,
                              "order": categories, "hue_order": categories, "linewidth": 1,
                              "palette": palette}  # fmt: skip
    shape = {1: (1, 1), 2: (1, 2)}.get(len(columns), (2, 2))
    fig = _new_figure(WIDTH if len(columns) == 1 else WIDTH + 1, 4.3 * shape[0] + 0.6)
    axes = fig.subplots(*shape, squeeze=False).ravel()
    for ax, column in zip(axes, columns, strict=False):
        kept, segment = _order_statistics(_numeric(values[column]), codes)
        frame = pd.DataFrame({"value": kept, "segment": np.asarray(categories)[segment]})
        # Spend-like columns are long-tailed: on a linear axis every box is a flat line.
        common["log_scale"] = bool(
            kept.size and kept.min() > 0 and kept.max() > 20 * np.percentile(kept, 75)
        )
        if kind == "box":
            with warnings.catch_warnings():
                # seaborn 0.13 calls bxp(vert=...), deprecated in matplotlib 3.11.
                warnings.filterwarnings("ignore", message="vert: bool", module="seaborn")
                sns.boxplot(frame, **common, ax=ax, fliersize=2, medianprops=_HALO)
        else:
            sns.violinplot(frame, **common, ax=ax, cut=0, inner="quart", density_norm="width",
                           inner_kws=_HALO)  # fmt: skip
        ax.set(ylabel=_label(column) + (" (log scale)" if common["log_scale"] else ""), xlabel="")
        ax.grid(axis="y", alpha=0.3)
        for tick in ax.get_xticklabels():
            tick.set(rotation=30, ha="right", rotation_mode="anchor", fontsize=9)
    for ax in axes[len(columns) :]:
        fig.delaxes(ax)
    fig.suptitle("Key drivers by segment (original units)", fontsize=13)
    return fig


def segment_sizes(profiles: pd.DataFrame, *, method: str) -> Figure:
    """Plot the share of customers, and of value when known, in each segment.

    Parameters
    ----------
    profiles : pandas.DataFrame
        Columns ``segment, name, share`` and optionally ``value_share`` (fractions).
    method : str
        Method name, for the title.

    Returns
    -------
    matplotlib.figure.Figure
        Grouped horizontal bars, first segment at the top, percentages at the bar ends;
        value bars are hatched.
    """
    missing = sorted({"segment", "name", "share"} - set(profiles.columns))
    if missing:
        raise ValueError(f"profiles lacks columns {missing}")
    if profiles.empty:
        return _message_figure("No segments to show")
    position = {g: i for i, g in enumerate(_group_order(profiles["segment"]))}
    table = profiles.iloc[
        np.argsort([position[int(g)] for g in profiles["segment"]], kind="stable")
    ]
    groups = table["segment"].to_numpy(dtype=int)
    share = np.nan_to_num(_numeric(table["share"]))
    value = (
        _numeric(table["value_share"]) if "value_share" in table else np.full(len(share), np.nan)
    )
    has_value = bool(np.isfinite(value).any())
    colours = [segment_colours(groups)[g] for g in groups]
    fig = _new_figure(
        WIDTH, float(np.clip(1.8 + (0.7 if has_value else 0.45) * len(table), 3.5, 10))
    )
    ax = fig.add_subplot()
    rows = np.arange(len(table))[::-1].astype(float)  # first segment at the top
    height = 0.4 if has_value else 0.7
    bars = ax.barh(rows + height / 2 * has_value, share, height=height, color=colours)
    ax.bar_label(bars, labels=[_percent(s) for s in share], padding=3, fontsize=9)
    if has_value:
        light = [to_rgba(c, 0.3) for c in colours]
        bars = ax.barh(rows - height / 2, np.nan_to_num(value), height=height, hatch="///",
                       color=light, edgecolor=colours)  # fmt: skip
        ax.bar_label(bars, labels=[_percent(v) if np.isfinite(v) else "" for v in value],
                     padding=3, fontsize=9)  # fmt: skip
        keys = [Patch(color=_GREY, label="Share of customers"),
                Patch(facecolor=to_rgba(_GREY, 0.3), edgecolor=_GREY, hatch="///",
                      label="Share of value")]  # fmt: skip
        fig.legend(handles=keys, loc="outside lower center", ncols=2, frameon=False, fontsize=9)
    ax.set_yticks(rows, labels=[_label(n) for n in table["name"]])
    ax.set_xlim(0, max(float(np.nanmax(np.concatenate([share, value]))), 0.01) * 1.18)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(axis="x", alpha=0.3)
    what = "customers and value" if has_value else "customers"
    ax.set_title(f"{_label(method)}: share of {what} in each segment")
    return fig


def save_figure(fig: Figure, path: str | PathLike[str]) -> None:
    """Write ``fig`` as a PNG at 110 dpi; the same figure always gives the same bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from this module (or any matplotlib figure).
    path : str or path-like
        Where to write; its folder must exist. An existing file is replaced.
    """
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    # Constrained layout can move things on its second pass (colour-bar ticks change with
    # the width), so one pass first makes a first save equal to any later one.
    fig.draw_without_rendering()
    # Agg draws the same pixels with or without a display; without "Software" the PNG does
    # not record the matplotlib version, so equal figures give equal bytes.
    fig.savefig(path, dpi=DPI, format="png", metadata={"Software": None}, facecolor="white")
    logger.debug("figure written to %s", path)
