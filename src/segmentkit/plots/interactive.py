"""Interactive plotly figures for the report, built from the files of an output folder.

Every function returns the figure as a JSON string (plotly's own encoding, uids
removed so the same run gives the same bytes) without its template: the page that shows
the figures holds :func:`template_json` once and gives it to every figure, instead of
7 KB of the same styling in each. Plotly renders a subset of HTML inside
text, so every string that comes from the data is HTML-escaped first: a column named
``<b>x</b>`` shows those characters, it is never bold, and nothing in it can run.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.json import to_json_plotly

from segmentkit.describe.importance_words import importance_groups, short_group_label
from segmentkit.plots.colours import segment_colours
from segmentkit.text import axis_label, format_figure, format_number, is_year_column

__all__ = [
    "criteria_figure",
    "heatmap_figure",
    "importance_figure",
    "migration_figure",
    "scatter_figure",
    "sizes_figure",
    "template_json",
]

logger = logging.getLogger(__name__)

HEIGHT = 460
SCATTER_HEIGHT = 600


def _text(value: object) -> str:
    return html.escape(str(value), quote=True)


#: The look of every figure; its JSON is given once to the page (:func:`template_json`).
TEMPLATE = "plotly_white"
#: Scatter coordinates are sent as 32-bit floats (7 significant digits, far finer than a
#: pixel): half the bytes of 64-bit ones in the page.
_COORDINATE_TYPE = np.float32


def template_json() -> str:
    """Return the JSON of the plotly template the figures of this module are drawn with.

    Returns
    -------
    str
        A plotly ``layout.template`` object (``data`` and ``layout`` defaults).
    """
    return str(to_json_plotly(pio.templates[TEMPLATE].to_plotly_json()))


def _to_json(figure: go.Figure) -> str:
    # The template is left out: the page sets it (template_json), once for all figures.
    figure.layout.template = None
    return str(pio.to_json(figure, validate=False, remove_uids=True))


def _layout(title: str, height: int = HEIGHT) -> dict[str, object]:
    return {
        "title": {"text": title, "x": 0.01},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
        "legend": {"itemsizing": "constant"},
    }


def _group_symbol(group: int) -> str:
    if group == -1:
        return "x"
    if group < -1:
        return "diamond-open"
    return "circle"


def scatter_figure(
    points: pd.DataFrame,
    *,
    method: str,
    axis_labels: Sequence[str],
    names: Mapping[int, str],
    hover_features: Sequence[str],
    note: str = "",
) -> str:
    """One marker per customer, one trace (colour, legend entry) per segment.

    Parameters
    ----------
    points : pandas.DataFrame
        ``id``, ``x``, ``y`` (``z`` for a 3D plot), ``group_<method>``, hover features.
    method : str
        Whose segments colour the points.
    axis_labels : sequence of str
        One label per axis.
    names : mapping
        Segment number (``-1`` noise, ``-2`` outliers) to name.
    hover_features : sequence of str
        Columns shown on hover, in original units.
    note : str
        Sampling note shown under the title.
    """
    three_d = "z" in points.columns
    groups = points[f"group_{method}"].to_numpy()
    colours = segment_colours(groups)
    order = sorted(set(groups.tolist()), key=lambda g: (g < 0, abs(g)))
    traces = []
    # The words of the hover box once per trace, the values once per customer (plotly
    # fills them in): a tenth of the bytes of one written-out text per customer. Both are
    # HTML-escaped, and "%" in a column name is written as an entity so that plotly does
    # not read "%{...}" in it as a placeholder.
    template = "<br>".join(
        ["id: %{customdata[0]}"]
        + [
            f"{_text(f).replace('%', '&#37;')}: %{{customdata[{i + 1}]}}"
            for i, f in enumerate(hover_features)
        ]
    )
    # Every customer's hover values, escaped once; a segment's rows are then a slice.
    # Given to plotly as an array, not a list of lists, which it would check value by
    # value (half the time of the report's scatter plots; the same JSON).
    hover_values = np.empty((len(points), 1 + len(hover_features)), dtype=object)
    hover_values[:, 0] = [_text(v) for v in points["id"].tolist()]
    for i, feature in enumerate(hover_features, start=1):
        hover_values[:, i] = [_text(_hover_value(v)) for v in points[feature].tolist()]
    for group in order:
        mask = groups == group
        part = points[mask]
        hover = hover_values[mask]
        marker = {
            "color": colours[group],
            "size": 3 if three_d else 6,
            "symbol": _group_symbol(group),
            "opacity": 0.85,
        }
        common = {
            "name": _text(names.get(group, f"Segment {group}")),
            "mode": "markers",
            "marker": marker,
            "customdata": hover,
            "hovertemplate": template,
        }
        x, y = (part[a].to_numpy(dtype=_COORDINATE_TYPE) for a in ("x", "y"))
        # Plain dicts, checked once by the figure (trace objects are checked, then copied).
        if three_d:
            z = part["z"].to_numpy(dtype=_COORDINATE_TYPE)
            traces.append({"type": "scatter3d", "x": x, "y": y, "z": z, **common})
        else:
            traces.append({"type": "scattergl", "x": x, "y": y, **common})
    title = f"{_text(method)}: segments"
    if note:
        title += f"<br><sup>{_text(note)}</sup>"
    layout = _layout(title, SCATTER_HEIGHT)
    labels = [_text(label) for label in axis_labels]
    if three_d:
        layout["scene"] = {
            "xaxis": {"title": {"text": labels[0]}},
            "yaxis": {"title": {"text": labels[1]}},
            "zaxis": {"title": {"text": labels[2]}},
        }
    else:
        layout["xaxis"] = {"title": {"text": labels[0]}}
        layout["yaxis"] = {"title": {"text": labels[1] if len(labels) > 1 else ""}}
    return _to_json(go.Figure(data=traces, layout=layout))


def _hover_value(value: object) -> str:
    if isinstance(value, float | np.floating):
        return format_number(float(value))
    return str(value)


def criteria_figure(criteria: pd.DataFrame, *, method: str) -> str:
    """Plot the criteria behind the choice of parameters, chosen candidate marked.

    ``criteria`` are one method's rows of ``k_selection.csv``.
    """
    chosen = criteria[criteria["chosen"].astype(bool)]
    if "eps" in criteria.columns and criteria["eps"].notna().all() and "k" not in criteria:
        x_name = "eps"
    elif criteria.get("k") is not None and criteria["k"].notna().all():
        x_name = "k"
    else:
        x_name = "eps"
    rows = criteria.sort_values(x_name, kind="stable")
    traces = []
    if x_name == "k" and "bic" in rows and rows["bic"].notna().any():
        for covariance, part in rows.groupby("covariance_type", sort=True):
            traces.append(go.Scatter(x=part["k"], y=part["bic"], name=f"BIC ({_text(covariance)})"))
    elif x_name == "k" and "inertia" in rows and rows["inertia"].notna().any():
        traces.append(go.Scatter(x=rows["k"], y=rows["inertia"], name="inertia (elbow)"))
    elif x_name == "eps":
        traces.append(go.Scatter(x=rows["eps"], y=rows["n_segments_found"], name="segments found"))
    if "silhouette" in rows and rows["silhouette"].notna().any():
        part = rows
        if "bic" in rows and rows["bic"].notna().any() and len(chosen):
            part = rows[rows["covariance_type"] == chosen["covariance_type"].iloc[0]]
        traces.append(
            go.Scatter(x=part[x_name], y=part["silhouette"], name="silhouette", yaxis="y2")
        )
    layout = _layout(f"{_text(method)}: choosing {x_name}")
    layout["xaxis"] = {"title": {"text": x_name}}
    layout["yaxis"] = {"title": {"text": traces[0].name if traces else ""}}
    layout["yaxis2"] = {"title": {"text": "silhouette"}, "overlaying": "y", "side": "right"}
    if len(chosen):
        value = float(chosen[x_name].iloc[0])
        layout["shapes"] = [
            {
                "type": "line",
                "x0": value,
                "x1": value,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"dash": "dash", "color": "#333"},
            }
        ]
        layout["annotations"] = [
            {
                "x": value,
                "y": 1.02,
                "yref": "paper",
                "text": f"chosen {x_name} = "
                + (f"{int(value)}" if x_name == "k" else format_number(value)),
                "showarrow": False,
            }
        ]
    return _to_json(go.Figure(data=traces, layout=layout))


def importance_figure(importance: pd.DataFrame, *, method: str, accuracy: float | None) -> str:
    """Accuracy lost (mean ± std) per group of correlated features, most important on top.

    A group is shuffled together (see :mod:`segmentkit.describe.importance`); a feature without a
    correlated twin is its own group. The hover lists what each member costs alone.
    Tables without group columns (older output folders) give one bar per feature.
    """
    groups = importance_groups(importance).head(15).iloc[::-1]
    alone = dict(
        zip(importance["feature"].astype(str), importance["permutation_mean"], strict=True)
    )
    labels, hovers = [], []
    rows = zip(groups["feature_group"], groups["features"], groups["permutation_mean"], strict=True)
    for label, features, drop in rows:
        members = [str(f) for f in features]
        labels.append(_text(short_group_label(members)))
        detail = "<br>".join(f"{_text(f)} alone: {alone[f]:.1%}" for f in members)
        hovers.append(
            f"{_text(label)}<br>shuffled together: {float(drop):.1%}"
            + (f"<br>{detail}" if len(members) > 1 else "")
        )
    trace = go.Bar(
        x=groups["permutation_mean"],
        y=labels,
        error_x={"type": "data", "array": groups["permutation_std"]},
        orientation="h",
        marker={"color": "#4e79a7"},
        name="permutation importance",
        hovertext=hovers,
        hoverinfo="text",
    )
    title = f"{_text(method)}: what drives the segments"
    if accuracy is not None:
        title += f"<br><sup>surrogate forest reproduces {accuracy:.0%} of held-out segments</sup>"
    layout = _layout(title, max(HEIGHT, 120 + 28 * len(groups)))
    layout["xaxis"] = {
        "title": {"text": "accuracy lost when shuffled (correlated features together)"},
        "tickformat": ".0%",
    }
    layout["margin"] = {"l": 200, "r": 20, "t": 70, "b": 50}
    return _to_json(go.Figure(data=[trace], layout=layout))


def sizes_figure(profiles: pd.DataFrame, *, method: str) -> str:
    """Share of customers (and of value, when known) per segment."""
    names = [_text(n) for n in profiles["name"]]
    traces = [go.Bar(y=names, x=profiles["share"], name="customers", orientation="h")]
    if "value_share" in profiles and profiles["value_share"].notna().any():
        traces.append(go.Bar(y=names, x=profiles["value_share"], name="value", orientation="h"))
    layout = _layout(f"{_text(method)}: segment sizes", max(HEIGHT, 120 + 40 * len(names)))
    layout["xaxis"] = {"tickformat": ".0%", "title": {"text": "share"}}
    layout["yaxis"] = {"autorange": "reversed"}
    layout["barmode"] = "group"
    layout["margin"] = {"l": 260, "r": 20, "t": 60, "b": 50}
    return _to_json(go.Figure(data=traces, layout=layout))


def heatmap_figure(
    profiles: pd.DataFrame,
    features: Sequence[str],
    *,
    method: str,
    typical: Mapping[str, str] | None = None,
) -> str:
    """Segment × feature standardised differences, typical values in the cells and on hover.

    ``typical`` names the figure of each feature the colour agrees with (``median`` for
    skewed columns, else ``mean``; :func:`segmentkit.describe.profiles.typical_statistic`).
    """
    rows = profiles[profiles["segment"] >= 0]
    z = rows[[f"{f}_z" for f in features]].to_numpy(dtype=float)
    statistic = {f: (typical or {}).get(f, "mean") for f in features}
    means = rows[[f"{f}_{statistic[f]}" for f in features]].to_numpy(dtype=float)
    years = [is_year_column(f) for f in features]
    text = [[format_figure(v, year=y) for v, y in zip(row, years, strict=True)] for row in means]
    trace = go.Heatmap(
        z=np.clip(z, -3, 3),
        x=[_text(axis_label(f)) for f in features],
        y=[_text(n) for n in rows["name"]],
        text=text,
        texttemplate="%{text}",
        colorscale="RdBu",
        reversescale=True,
        zmid=0,
        zmin=-3,
        zmax=3,
        colorbar={"title": {"text": "sd from all"}},
        hovertemplate="%{y}<br>%{x}: %{customdata} %{text}<br>%{z:.2f} sd from all customers"
        "<extra></extra>",
        customdata=[[statistic[f] for f in features] for _ in range(len(rows))],
    )
    layout = _layout(
        f"{_text(method)}: how segments differ (colour: sd from all customers; text: mean, "
        "median for skewed columns)",
        max(HEIGHT, 140 + 40 * len(rows)),
    )
    layout["yaxis"] = {"autorange": "reversed"}
    layout["margin"] = {"l": 260, "r": 20, "t": 60, "b": 120}
    return _to_json(go.Figure(data=[trace], layout=layout))


def migration_figure(migration: pd.DataFrame, *, method: str) -> str:
    """Sankey diagram of customers moving from the previous run's segments to the new ones.

    ``migration`` are one method's rows of ``segment_migration.csv``.
    """
    old = sorted(set(migration["old_segment"].astype(int)))
    new = sorted(set(migration["new_segment"].astype(int)))
    old_names = dict(zip(migration["old_segment"].astype(int), migration["old_name"], strict=False))
    new_names = dict(zip(migration["new_segment"].astype(int), migration["new_name"], strict=False))
    colours = segment_colours([*old, *new])
    labels = [f"before: {_text(old_names[s])}" for s in old] + [
        f"now: {_text(new_names[s])}" for s in new
    ]
    source = [old.index(int(s)) for s in migration["old_segment"]]
    target = [len(old) + new.index(int(s)) for s in migration["new_segment"]]
    trace = go.Sankey(
        node={
            "label": labels,
            "color": [colours[s] for s in old] + [colours[s] for s in new],
            "pad": 14,
        },
        link={"source": source, "target": target, "value": migration["customers"].tolist()},
    )
    layout = _layout(
        f"{_text(method)}: customers moving between segments since the previous run",
        max(HEIGHT, 60 * max(len(old), len(new))),
    )
    return _to_json(go.Figure(data=[trace], layout=layout))
