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
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import LogFormatter, PercentFormatter
from mpl_toolkits.mplot3d import Axes3D

from segmentkit.describe.importance_words import importance_groups, short_group_label
from segmentkit.plots._style import (
    _GREY,
    _HALO,
    _MAX_GROUP_POINTS,
    WIDTH,
    _group_labels,
    _group_order,
    _label,
    _message_figure,
    _new_figure,
    _numeric,
    _percent,
    _titles,
    _with_fonts,
    mpl_text,
    save_figure,
)
from segmentkit.plots.colours import NOISE_COLOUR, OUTLIER_COLOUR, segment_colours
from segmentkit.plots.diagnostics import (
    criteria_curves,
    dendrogram,
    k_distance_curve,
    silhouette_plot,
)
from segmentkit.text import axis_label, format_figure, is_year_column

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


@_with_fonts
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


@_with_fonts
def importance_bars(
    importance: pd.DataFrame, *, method: str, accuracy: float | None, top: int = 15
) -> Figure:
    """Plot the permutation importance of each feature in the surrogate, largest on top.

    Parameters
    ----------
    importance : pandas.DataFrame
        Columns ``feature, permutation_mean, permutation_std, rf_importance``; with
        ``feature_group, group_permutation_mean, group_permutation_std`` one bar per
        group of correlated features
        (:func:`~segmentkit.describe.importance_words.importance_groups`).
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
    if "feature_group" in importance.columns:
        # One bar per group of correlated features, shuffled together (see explain).
        groups = importance_groups(importance)
        importance = groups.assign(feature=[short_group_label(f) for f in groups["features"]])
    mean = _numeric(importance["permutation_mean"])
    std = _numeric(importance["permutation_std"]) if "permutation_std" in importance else 0 * mean
    order = np.argsort(-np.nan_to_num(mean, nan=-np.inf), kind="stable")[:top]
    fig = _new_figure(WIDTH, float(np.clip(1.6 + 0.38 * len(order), 3.5, 9)))
    ax = fig.add_subplot()
    rows = np.arange(len(order))[::-1]  # most important first, at the top
    ax.barh(rows, mean[order], xerr=np.nan_to_num(std[order]), color="#4e79a7",
            error_kw={"ecolor": "#333333", "capsize": 3, "linewidth": 1})  # fmt: skip
    ax.set_yticks(rows, labels=[_label(f) for f in importance["feature"].to_numpy()[order]])
    if "features" in importance.columns:
        # The axis shortens a group ("a + 4 more"): name its members on the bar itself.
        right = ax.get_xlim()[1]
        for row, position in zip(rows, order, strict=True):
            members = [str(f) for f in importance["features"].iloc[position]]
            if len(members) < 2:
                continue
            end = max(float(np.nan_to_num(mean[position])), 0.0)
            inside = end > 0.6 * right
            lines = textwrap.wrap(", ".join(members), 50)
            more = "…" if len(lines) > 2 else ""
            text = "\n".join(_label(line, 60) for line in lines[:2]) + more
            outside = end + float(np.nan_to_num(std[position]))
            ax.annotate(text, xy=(0.0 if inside else outside, row), xytext=(4, 0),
                        textcoords="offset points", va="center", ha="left", fontsize=7,
                        color="white" if inside else _GREY)  # fmt: skip
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("Drop in surrogate accuracy when shuffled (correlated features together)")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.grid(axis="x", alpha=0.3)
    shown = len(order) < len(importance)
    _titles(fig, ax, title, f"Top {len(order)} of {len(importance)} features" if shown else "")
    return fig


@_with_fonts
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
    annot = np.array(
        [
            [mpl_text(format_figure(float(v), year=is_year_column(c))) for c, v in row.items()]
            for _, row in real.iterrows()
        ],
        dtype=object,
    ).reshape(real.shape)
    finite = np.abs(values[np.isfinite(values)])
    limit = float(np.clip(finite.max() if finite.size else 1.0, 1.0, 3.0))
    tags = _group_labels([int(s) for s in z.index], names)
    rows, cols = values.shape
    fig = _new_figure(float(np.clip(4 + 0.9 * cols, 8, 16)), float(np.clip(3 + 0.5 * rows, 4, 10)))
    ax = fig.add_subplot()
    # No ``center``: seaborn would rebuild the colormap; symmetric limits centre it at 0.
    sns.heatmap(np.clip(values, -limit, limit), ax=ax, cmap="RdBu_r", vmin=-limit, vmax=limit,
                annot=annot, fmt="", annot_kws={"fontsize": 9}, linewidths=0.5,
                xticklabels=[_label(axis_label(c), 30) for c in z.columns],
                yticklabels=list(tags.values()),
                cbar_kws={"label": "vs all customers (SD)"})  # fmt: skip
    ax.tick_params(axis="y", labelrotation=0)
    for tick in ax.get_xticklabels():
        tick.set(rotation=35, ha="right", rotation_mode="anchor")
    fig.suptitle(
        "Segment profiles: colour = difference from average, "
        "number = segment mean (median for skewed columns)"
    )
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


@_with_fonts
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
        if common["log_scale"]:
            # Plain "1000", not the default "$10^{3}$": mathematics is drawn with fonts of
            # its own (STIX, Computer Modern), and where matplotlib has none it logs a
            # "findfont" warning for each, which reached the terminal.
            ax.yaxis.set_major_formatter(LogFormatter(base=10))
            ax.yaxis.set_minor_formatter(LogFormatter(base=10, labelOnlyBase=False))
        ax.set(ylabel=_label(column) + (" (log scale)" if common["log_scale"] else ""), xlabel="")
        ax.grid(axis="y", alpha=0.3)
        for tick in ax.get_xticklabels():
            tick.set(rotation=30, ha="right", rotation_mode="anchor", fontsize=9)
    for ax in axes[len(columns) :]:
        fig.delaxes(ax)
    fig.suptitle("Key drivers by segment (original units)", fontsize=13)
    return fig


@_with_fonts
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
