"""The PNGs that show segment names, drawn again from an output folder's files.

Five figures of a method carry its segment names: the scatter, the heatmap, the sizes
and, for the recommended method, the top drivers and the silhouette. When a segment is
renamed (``segmentkit rename``) they are redrawn from the folder, never by refitting:
the scatter from ``plots/scatter_points.csv``, the heatmap and sizes from
``segment_profiles.csv``, and the drivers and silhouette from the values behind them,
which :func:`segmentkit.plots.write_plots` saves for this purpose as
``plots/drivers_<method>.csv`` (per feature and segment, the values the box or violin is
drawn from) and ``plots/silhouette_<method>.csv`` (per drawn customer, the segment and
silhouette). A run draws those two figures from the same tables, so a redraw with
unchanged names gives the same picture.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from segmentkit.describe.profile_statistics import typical_statistic
from segmentkit.output.folder import OutputFolder
from segmentkit.output.write import read_output_csv
from segmentkit.plots import static
from segmentkit.plots._style import _group_order, _numeric

__all__ = [
    "driver_table",
    "drivers_figure",
    "heatmap_figure",
    "redraw_named_figures",
    "silhouette_figure",
]

logger = logging.getLogger(__name__)


def driver_table(values: pd.DataFrame, groups: np.ndarray) -> pd.DataFrame:
    """Return the values a drivers figure is drawn from, one row per drawn value.

    Per feature and segment these are the segment's finite values, sorted; above 20,000
    of them, evenly spaced ranks (quantiles) of them, as the figure itself keeps. A
    segment with no value in any feature keeps one empty row, so it stays on the axis.

    Parameters
    ----------
    values : pandas.DataFrame
        One column per feature, one row per customer.
    groups : numpy.ndarray
        Profile group of each customer, shape ``(n,)``.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature, segment, value``.
    """
    codes = np.asarray(groups).astype(int).ravel()
    frames = []
    for column in values.columns:
        kept, segment = static._order_statistics(_numeric(values[column]), codes)
        frames.append(pd.DataFrame({"feature": str(column), "segment": segment, "value": kept}))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    present = set(table["segment"].tolist()) if len(table) else set()
    empty = [g for g in _group_order(codes) if g not in present]
    if empty and len(values.columns):
        gaps = pd.DataFrame({"feature": str(values.columns[0]), "segment": empty, "value": np.nan})
        table = pd.concat([table, gaps], ignore_index=True)
    return table.astype({"segment": int, "value": float}) if len(table) else table


def drivers_figure(table: pd.DataFrame, *, names: Mapping[int, str], kind: str) -> Figure:
    """Draw the top drivers by segment from a :func:`driver_table`."""
    features = list(dict.fromkeys(str(f) for f in table["feature"]))
    blocks, segments = [], []
    for group in _group_order(table["segment"]):
        part = table[table["segment"].to_numpy() == group]
        columns = {
            f: part.loc[part["feature"].astype(str) == f, "value"].to_numpy(dtype=float)
            for f in features
        }
        rows = max(1, *(len(v) for v in columns.values()))
        padded = {
            f: np.pad(v, (0, rows - len(v)), constant_values=np.nan) for f, v in columns.items()
        }
        blocks.append(pd.DataFrame(padded, columns=features))
        segments.append(np.full(rows, group))
    values = pd.concat(blocks, ignore_index=True)
    return static.driver_distributions(values, np.concatenate(segments), names=names, kind=kind)


def silhouette_figure(table: pd.DataFrame, *, names: Mapping[int, str], total: int) -> Figure:
    """Draw the silhouette plot from ``segment, silhouette`` rows of ``total`` customers."""
    values = table["silhouette"].to_numpy(dtype=float)
    note = ""
    if len(values) < total:
        note = f"{len(values):,} of {total:,} customers (stratified sample)"
    return static.silhouette_plot(
        values,
        table["segment"].to_numpy(dtype=int),
        names=names,
        average=float(values.mean()),
        note=note,
    )


def _names(profiles: pd.DataFrame) -> dict[int, str]:
    return {int(s): str(n) for s, n in zip(profiles["segment"], profiles["name"], strict=True)}


def heatmap_figure(
    profiles: pd.DataFrame,
    columns: list[str],
    *,
    log_columns: list[str],
    names: Mapping[int, str],
) -> Figure:
    """Draw the segment × feature heatmap from one method's profile table.

    Parameters
    ----------
    profiles : pandas.DataFrame
        The method's rows of ``segment_profiles.csv``; segments ``>= 0`` are drawn.
    columns : list of str
        The features, in order; each has ``<f>_z`` and its typical figure
        (:func:`~segmentkit.describe.profiles.typical_statistic`) in the table.
    log_columns : list of str
        The features the model saw on a log scale.
    names : mapping
        Segment names, the row labels.
    """
    rows = profiles[profiles["segment"].astype(int) >= 0].set_index("segment")
    rows.index = rows.index.astype(int)
    z = rows[[f"{c}_z" for c in columns]].set_axis(columns, axis=1)
    means = rows[[f"{c}_{typical_statistic(c, log_columns)}" for c in columns]]
    return static.profile_heatmap(z, means.set_axis(columns, axis=1), names=names)


def _heatmap(profiles: pd.DataFrame, summary: dict[str, Any], names: dict[int, str]) -> Figure:
    numeric = list((summary.get("population") or {}).get("numeric", {}))
    rows = profiles[profiles["segment"] >= 0]
    # The contrasts: the numeric features the model saw, the only ones with a _z.
    columns = [
        c for c in numeric if f"{c}_z" in rows and pd.to_numeric(rows[f"{c}_z"]).notna().any()
    ]
    log_columns = [str(c) for c in summary.get("log_transformed") or []]
    return heatmap_figure(profiles, columns, log_columns=log_columns, names=names)


def redraw_named_figures(folder: str | Path, method: str) -> list[Path]:
    """Draw again, in ``folder/plots``, every PNG of ``method`` that shows segment names.

    Only figures that exist are redrawn, from the folder's own files (nothing is
    refitted). A drivers or silhouette figure without its table (a folder written before
    the tables were saved) is left as it is, with a warning.

    Parameters
    ----------
    folder : str or Path
        A complete output folder.
    method : str
        The method whose names changed.

    Returns
    -------
    list of Path
        The PNGs written.
    """
    output = OutputFolder(Path(folder))
    plots = output.plots
    summary: dict[str, Any] = output.load_summary()
    all_profiles = output.read_profiles()
    profiles = all_profiles[all_profiles["method"].astype(str) == method].reset_index(drop=True)
    names = _names(profiles)
    figures: dict[str, Figure | None] = {}
    if (plots / f"scatter_{method}.png").is_file():
        points = read_output_csv(output.scatter_points)
        scatter = summary.get("scatter") or {}
        table = points.rename(columns={f"group_{method}": "group"})
        columns = [c for c in ("x", "y", "z") if c in table.columns] + ["group"]
        figures[f"scatter_{method}.png"] = static.scatter_3d(
            table[columns],
            axis_labels=scatter.get("axis_labels", []),
            names=names,
            title=f"{method}: segments",
            note=scatter.get("note", ""),
        )
    if (plots / f"heatmap_{method}.png").is_file():
        figures[f"heatmap_{method}.png"] = _heatmap(profiles, summary, names)
    if (plots / f"sizes_{method}.png").is_file():
        figures[f"sizes_{method}.png"] = static.segment_sizes(profiles, method=method)
    kind = str((summary.get("config") or {}).get("report", {}).get("distribution_plot", "box"))
    if (plots / f"drivers_{method}.png").is_file():
        data = plots / f"drivers_{method}.csv"
        figures[f"drivers_{method}.png"] = (
            drivers_figure(read_output_csv(data, text=True).pipe(_typed), names=names, kind=kind)
            if data.is_file()
            else None
        )
    if (plots / f"silhouette_{method}.png").is_file():
        data = plots / f"silhouette_{method}.csv"
        entry = summary["methods"][method]
        # The Dask backend records every customer's sizes; the figure drew its sample.
        sizes = entry.get("sample_segment_sizes") or entry.get("segment_sizes", {})
        total = sum(int(n) for s, n in sizes.items() if int(s) >= 0)
        figures[f"silhouette_{method}.png"] = (
            silhouette_figure(read_output_csv(data), names=names, total=total)
            if data.is_file()
            else None
        )
    written = []
    for name, figure in figures.items():
        if figure is None:
            logger.warning("plots/%s still shows the previous names: it cannot be redrawn", name)
            continue
        static.save_figure(figure, plots / name)
        written.append(plots / name)
    return written


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """Type a drivers table read as text: feature names stay text, the rest are numbers."""
    return table.assign(
        segment=pd.to_numeric(table["segment"]).astype(int),
        value=pd.to_numeric(table["value"].replace("", np.nan)),
    )
