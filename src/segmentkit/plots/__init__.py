"""Figures of a segmentation: static PNGs (matplotlib) and interactive plotly figures.

:func:`write_plots` draws the PNGs of a finished run into ``plots/`` (which ones:
:func:`drawn`; no browser, no network, no refitting) and saves the scatter-plot
coordinates the report reuses, and the values behind the drivers and silhouette figures,
from which ``segmentkit rename`` draws the figures that show segment names again
(:mod:`segmentkit.plots.named`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.metrics import silhouette_samples

from segmentkit.describe.profile_statistics import profile_groups
from segmentkit.output.write import write_csv
from segmentkit.plots.drawing import FigureJob, FigureWorkers, PendingFigures
from segmentkit.plots.projection import ScatterPoints, scatter_points
from segmentkit.selection.criteria import stratified_sample
from segmentkit.text import plural

if TYPE_CHECKING:
    from segmentkit.pipeline import SegmentationRun

__all__ = [
    "ScatterPoints",
    "drawn",
    "log_figures_written",
    "scatter_points",
    "start_plots",
    "write_plots",
]

logger = logging.getLogger(__name__)


def _names(run: SegmentationRun, method: str) -> dict[int, str]:
    return dict(run.profiles[method].names)


def _criteria_rows(run: SegmentationRun, method: str) -> pd.DataFrame:
    return run.results[method].criteria.assign(method=method)


def _silhouette(run: SegmentationRun, folder: Path, max_points: int) -> list[FigureJob]:
    """Per-customer silhouette of the recommended segmentation, on a bounded sample."""
    # The figure modules are imported where figures are made: they load matplotlib,
    # which a run without figures never needs (0.5 s).
    from segmentkit.plots.named import silhouette_figure

    method = run.recommended
    labels = run.results[method].labels
    clustered = np.flatnonzero(labels >= 0)
    if len(np.unique(labels[clustered])) < 2:
        return []
    if len(clustered) > max_points:
        # Silhouette is O(n²): a stratified sample keeps it bounded (the figure says so).
        clustered = clustered[stratified_sample(labels[clustered], max_points, run.config.seed)]
    values = silhouette_samples(run.prepared.X[clustered], labels[clustered])
    # Saved, and drawn from, so that a renamed segment's figure can be drawn again.
    table = pd.DataFrame({"segment": labels[clustered], "silhouette": values})
    write_csv(table, folder / f"silhouette_{method}.csv")
    total = int((labels >= 0).sum())
    return [
        FigureJob(
            folder / f"silhouette_{method}.png",
            silhouette_figure,
            (table,),
            {"names": _names(run, method), "total": total},
        )
    ]


def _drivers(run: SegmentationRun, folder: Path) -> list[FigureJob]:
    from segmentkit.plots.named import driver_table, drivers_figure

    method = run.recommended
    numeric = set(run.prepared.numeric_features)
    top = [f for f in run.importance[method].table["feature"] if f in numeric][:4]
    if not top:
        return []
    groups = profile_groups(run.results[method].labels, run.prepared.fit_mask)
    # Saved, and drawn from, so that a renamed segment's figure can be drawn again.
    table = driver_table(run.prepared.cleaned[top], groups)
    write_csv(table, folder / f"drivers_{method}.csv")
    return [
        FigureJob(
            folder / f"drivers_{method}.png",
            drivers_figure,
            (table,),
            {"names": _names(run, method), "kind": run.config.report.distribution_plot},
        )
    ]


def _method_figures(
    run: SegmentationRun, method: str, points: ScatterPoints, folder: Path
) -> list[FigureJob]:
    from segmentkit.plots import static
    from segmentkit.plots.named import heatmap_figure

    result = run.results[method]
    names = _names(run, method)
    table = points.table.rename(columns={f"group_{method}": "group"})
    columns = [c for c in ("x", "y", "z") if c in table.columns] + ["group"]

    def job(name: str, build: Callable[..., Any], *args: Any, **kwargs: Any) -> FigureJob:
        return FigureJob(folder / f"{name}_{method}.png", build, args, kwargs)

    jobs = [
        job(
            "scatter",
            static.scatter_3d,
            table[columns],
            axis_labels=points.axis_labels,
            names=names,
            title=f"{method}: segments",
            note=points.note,
        ),
        job(
            "importance",
            static.importance_bars,
            run.importance[method].table,
            method=method,
            accuracy=run.importance[method].surrogate_accuracy,
        ),
        job("sizes", static.segment_sizes, run.profiles[method].table, method=method),
    ]
    if len(result.criteria) > 1:
        criteria = _criteria_rows(run, method).dropna(axis=1, how="all")
        jobs.append(job("criteria", static.criteria_curves, criteria, method=method))
    if "linkage" in result.curves and "k" in result.params:
        jobs.append(
            job(
                "dendrogram",
                static.dendrogram,
                np.asarray(result.curves["linkage"]),
                k=int(result.params["k"]),
                linkage_method=run.config.clustering.agglomerative.linkage,
            )
        )
    if "k_distance" in result.curves:
        jobs.append(
            job(
                "k_distance",
                static.k_distance_curve,
                result.curves["k_distance"],
                eps=float(result.params["eps"]),
                min_samples=int(result.params["min_samples"]),
            )
        )
    profiles = run.profiles[method]
    real = profiles.contrasts
    if len(real) and len(real.columns):
        # From the profile table (the contrasts are its _z columns), as a redraw does.
        jobs.append(
            job(
                "heatmap",
                heatmap_figure,
                profiles.table,
                list(real.columns),
                log_columns=run.prepared.log_columns,
                names=names,
            )
        )
    return jobs


#: The PNGs ``report.html`` embeds (``<kind>_<method>.png``); the others are files only.
REPORT_IMAGES = ("dendrogram_", "k_distance_", "drivers_", "silhouette_")


def in_report(path: Path) -> bool:
    """Whether ``report.html`` embeds the PNG ``path``.

    Examples
    --------
    >>> in_report(Path("plots/drivers_kmeans.png")), in_report(Path("plots/sizes_kmeans.png"))
    (True, False)
    """
    return path.suffix == ".png" and path.name.startswith(REPORT_IMAGES)


def drawn(path: Path, method: str, run: SegmentationRun) -> bool:
    """Whether a run draws the PNG ``path`` of ``method`` (``report.figures``).

    Every method's figures with ``"all"``; by default the recommended method's, and of
    the others those the report embeds (the report shows the rest interactively): three
    times fewer PNGs, which were half of a small file's run.
    """
    return run.config.report.figures == "all" or method == run.recommended or in_report(path)


def start_plots(
    run: SegmentationRun,
    folder: str | Path,
    *,
    figures: bool = True,
    workers: FigureWorkers | None = None,
) -> tuple[PendingFigures | None, ScatterPoints]:
    """Write ``scatter_points.csv`` and start drawing the PNGs of a finished run (:func:`drawn`).

    The caller writes the rest of the folder while ``workers`` draw, then waits for the
    PNGs with :meth:`PendingFigures.wait` (or stops them, on a failure elsewhere).
    Parameters and the scatter points as in :func:`write_plots`.

    Returns
    -------
    pending : PendingFigures or None
        The figures being drawn; ``None`` when ``figures`` is false.
    points : ScatterPoints
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    max_points = run.config.report.max_points
    points = scatter_points(run, max_points=max_points, seed=run.config.seed)
    write_csv(points.table, folder / "scatter_points.csv")
    if not figures:
        return None, points
    jobs = [
        job
        for method in run.results
        for job in _method_figures(run, method, points, folder)
        if drawn(job.path, method, run)
    ]
    jobs += _silhouette(run, folder, max_points)
    jobs += _drivers(run, folder)
    # The report's own PNGs first: the report is written while the others are drawn.
    jobs.sort(key=lambda job: not in_report(job.path))
    # Without workers (none entered) the figures are drawn here, one after the other.
    return (workers or FigureWorkers(0)).start(jobs), points


def write_plots(
    run: SegmentationRun,
    folder: str | Path,
    *,
    shown_as: str | Path | None = None,
    figures: bool = True,
    workers: FigureWorkers | None = None,
) -> tuple[list[Path], ScatterPoints]:
    """Draw the static figures of a finished run into ``folder`` (which: :func:`drawn`).

    Parameters
    ----------
    run : SegmentationRun
        The finished run (nothing is refitted).
    folder : str or Path
        Created if needed; usually ``<out>/plots``.
    shown_as : str or Path, optional
        The folder the log names: the final one when ``folder`` is inside a temporary
        output folder that is renamed when complete (default ``folder``).
    figures : bool
        Draw the PNGs; when false only ``scatter_points.csv`` is written (quick runs,
        ``--no-figures``: the report can still be rendered later from it).
    workers : FigureWorkers, optional
        Worker processes to draw in (default: one after the other, in this process).

    Returns
    -------
    paths : list of Path
        The PNG files written.
    points : ScatterPoints
        The scatter-plot coordinates (also saved as ``scatter_points.csv``).
    """
    pending, points = start_plots(run, folder, figures=figures, workers=workers)
    if pending is None:
        return [], points
    written = pending.wait()
    log_figures_written(written, shown_as or folder)
    return written, points


def log_figures_written(paths: list[Path], folder: str | Path) -> None:
    """Log how many figures a run drew, and where."""
    logger.info("Wrote %s to %s", plural(len(paths), "figure"), folder)
