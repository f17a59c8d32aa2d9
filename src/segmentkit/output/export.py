"""Write a finished run to its output folder, atomically (all files or none).

The files and their columns are the output contract users' scripts rely on; see the
manual's Outputs page (docs/outputs.md). Nothing here refits: it only reads a
``SegmentationRun``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from segmentkit.backends.base import AssignedRows
from segmentkit.describe.rules.sql import sql_script
from segmentkit.describe.segment_counts import distinct_segments
from segmentkit.output.atomic import atomic_output_dir
from segmentkit.output.folder import (
    COMPARISON_FILE,
    DROPPED_FILE,
    IMPORTANCE_FILE,
    K_SELECTION_FILE,
    MIGRATION_FILE,
    PLOTS_DIR,
    PROFILES_FILE,
    REPORT_FILE,
    RULES_FILE,
    RULES_SQL_FILE,
    RUN_LOG_FILE,
    SEGMENTS_FILE,
    SEGMENTS_PARQUET_FILE,
    SUMMARY_FILE,
)
from segmentkit.output.run_json import run_summary
from segmentkit.output.write import write_csv, write_json, write_parquet
from segmentkit.pipeline import SegmentationRun
from segmentkit.progress import add_steps, advance
from segmentkit.resources import effective_jobs
from segmentkit.scoring.confidence import confidence as segment_confidence
from segmentkit.scoring.model import MODEL_NAME, SegmentationModel
from segmentkit.workers import MAX_PROCESSES, PendingJobs

if TYPE_CHECKING:
    from segmentkit.backends.base import RowBackend
    from segmentkit.plots.drawing import FigureWorkers, PendingFigures

__all__ = [
    "feature_importance_table",
    "k_selection_table",
    "method_comparison_table",
    "run_summary",
    "save_run",
    "segment_rules_sql",
    "segment_rules_table",
    "segments_table",
    "write_input_rows",
]

logger = logging.getLogger(__name__)


def segments_table(run: SegmentationRun) -> pd.DataFrame:
    """One row per kept customer, in input order, with every method's segment.

    Columns: the id (or ``row``), the original columns as read, ``segment`` and
    ``segment_name`` (recommended method), ``segment_<method>`` for every method
    (``-1`` = noise), ``segment_alternative`` when a finer alternative was found, and
    ``is_outlier``. The rows keep the index of the frame that was segmented.
    """
    prepared = run.prepared
    # With copy-on-write (pandas 3) a new frame over the same columns: the columns added
    # and removed below are this table's own, and a caller's edit copies the column it
    # changes (a deep copy of the raw rows took 3 s at 10,000,000 customers).
    table = prepared.raw.copy(deep=not _copy_on_write())
    table.columns = [str(c).strip() for c in table.columns]
    if prepared.id_column in table.columns:
        table.pop(prepared.id_column)
    # The cleaned id: whole-number ids read as floats (a blank elsewhere) stay whole.
    table.insert(0, prepared.id_column, prepared.ids.to_numpy())
    recommended = run.results[run.recommended]
    names = run.profiles[run.recommended].names
    table["segment"] = recommended.labels
    table["segment_name"] = _segment_names(recommended.labels, names)
    for method, result in run.results.items():
        table[f"segment_{method}"] = result.labels
    if "gmm" in run.results:
        # Membership probability of the assigned component, as a scored file gives it.
        table["confidence_gmm"] = segment_confidence(
            run.results["gmm"].assigner.estimator,
            prepared.X,
            threads=_writer_threads(run),
        )
    if run.alternative is not None:
        table["segment_alternative"] = run.alternative.result.labels
    table["is_outlier"] = prepared.is_outlier
    if prepared.index is not None:
        # The caller's index, for joining back to their frame; segments.csv never writes it.
        table.index = prepared.index
    return table


def _copy_on_write() -> bool:
    """Whether pandas copies a frame's shared columns when one of them is written."""
    return int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True


def _segment_names(labels: np.ndarray, names: Mapping[int, str]) -> Any:
    """Return each customer's segment name, as pandas holds a list of those texts.

    Each distinct name is made once and taken by segment: a Python string per customer
    cost 2 s at 10,000,000 customers.
    """
    segments = distinct_segments(labels)
    texts = [names[int(s)] for s in segments]
    positions = np.searchsorted(segments, labels)
    holds = pd.Series(texts, dtype=None).dtype  # what pandas makes of a list of texts
    if isinstance(holds, pd.StringDtype) and holds.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        return pd.array(pc.take(pa.array(texts, pa.large_string()), positions), dtype=holds)
    return pd.Series(np.asarray(texts, dtype=object)[positions], dtype=holds).array


def k_selection_table(run: SegmentationRun) -> pd.DataFrame:
    """Every candidate every method tried, with all criteria and ``chosen``."""
    frames = [
        result.criteria.assign(method=method)[["method", *result.criteria.columns]]
        for method, result in run.results.items()
    ]
    table = pd.concat(frames, ignore_index=True)
    # Counts stay integers where a method without them leaves the cell empty.
    for name in ("k", "n_segments_found", "min_samples", "silhouette_sample"):
        if name in table:
            table[name] = table[name].astype("Int64")
    return table


def method_comparison_table(run: SegmentationRun) -> pd.DataFrame:
    """One row per method: chosen parameters, criteria, stability and the recommendation.

    A criterion that cannot be computed is empty, with the reason in ``metrics_note``.
    """
    param_names: list[str] = []
    extra = [run.alternative.result] if run.alternative is not None else []
    for result in [*run.results.values(), *extra]:
        param_names += [p for p in result.params if p not in param_names]
    rows = []
    shown = [(method, result, False) for method, result in run.results.items()]
    if run.alternative is not None:
        shown.append((run.alternative.method, run.alternative.result, True))
    for method, result, alternative in shown:
        metrics = result.metrics
        stability = result.stability
        rows.append(
            {
                # The alternative's row is named apart, so `method` stays a unique key.
                "method": f"{method} (finer alternative)" if alternative else method,
                **{f"param_{p}": result.params.get(p) for p in param_names},
                "n_segments": result.n_segments,
                "noise_share": metrics.noise_share,
                "silhouette": metrics.silhouette,
                "silhouette_sample": metrics.silhouette_sample,
                "calinski_harabasz": metrics.calinski_harabasz,
                "davies_bouldin": metrics.davies_bouldin,
                "nn_separation": metrics.nn_separation,
                "stability": stability.mean_ari if stability else None,
                "unstable_segments": " ".join(str(s) for s in stability.unstable_segments)
                if stability
                else "",
                "metrics_note": metrics.reason or "",
                "criteria_agree": result.criteria_agree,
                "selection": result.choice_summary,
                "recommended": method == run.recommended and not alternative,
                "alternative": alternative,
            }
        )
    rows += [
        {
            "method": method,
            "n_segments": 0,
            "metrics_note": f"skipped: {reason}",
            "recommended": False,
            "alternative": False,
        }
        for method, reason in run.skipped.items()
    ]
    table = pd.DataFrame(rows)
    # Integer parameters stay integers even where another method leaves them empty.
    for name in param_names:
        values = [r.params[name] for r in [*run.results.values(), *extra] if name in r.params]
        if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values):
            table[f"param_{name}"] = table[f"param_{name}"].astype("Int64")
    return table


def feature_importance_table(run: SegmentationRun) -> pd.DataFrame:
    """One row per method × original feature, most important first within a method.

    Columns: ``method, feature, rf_importance, permutation_mean, permutation_std,
    surrogate_accuracy, n_train, n_test, feature_group, group_permutation_mean,
    group_permutation_std`` (the group columns are the same on every member's row; see
    :class:`~segmentkit.describe.importance.Importance`).
    """
    frames = []
    for method, importance in run.importance.items():
        table = importance.table.assign(
            method=method,
            surrogate_accuracy=importance.surrogate_accuracy,
            n_train=importance.n_train,
            n_test=importance.n_test,
        )
        frames.append(table)
    columns = [
        "method",
        "feature",
        "rf_importance",
        "permutation_mean",
        "permutation_std",
        "surrogate_accuracy",
        "n_train",
        "n_test",
        # Added later: after the original columns, so readers by position keep working.
        "feature_group",
        "group_permutation_mean",
        "group_permutation_std",
    ]
    return pd.concat(frames, ignore_index=True)[columns]


def segment_rules_table(run: SegmentationRun) -> pd.DataFrame:
    """One row per method × segment × rule path, recommended method first.

    Columns: ``method, segment, name, path, rule, description, customers, in_segment,
    precision, method_agreement, method_paths`` (see :meth:`SegmentRules.table`).
    """
    order = sorted(run.rules, key=lambda method: method != run.recommended)
    frames = [run.rules[m].table(run.profiles[m].names) for m in order]
    return pd.concat(frames, ignore_index=True)


def segment_rules_sql(run: SegmentationRun) -> str:
    """Return ``segment_rules.sql``: every method's rules as an SQL ``CASE``."""
    used = {c.column for r in run.rules.values() for p in r.paths for c in p.conditions}
    converted = {s.column for s in run.prepared.steps if s.rule == "numeric_text"}
    return sql_script(
        run.rules,
        recommended=run.recommended,
        names={method: run.profiles[method].names for method in run.rules},
        numeric_text=[c for c in run.prepared.features if c in used & converted],
        dates=[c for c in run.prepared.date_references if c in used],
    )


def _writer_threads(run: SegmentationRun) -> int:
    """Threads writing ``segments.csv``: the run's cores, at most :data:`MAX_PROCESSES`.

    Capped: the affinity of a container can list every core of its host, and each thread
    holds two blocks of rendered rows (about 40 MB each).
    """
    return min(effective_jobs(run.config.n_jobs), MAX_PROCESSES)


def write_input_rows(run: SegmentationRun, folder: Path) -> AssignedRows:
    """Write the local backend's rows: ``segments.csv`` and, if any, ``dropped_rows.csv``.

    The rows in memory are every input row, so the run is written as it is (see
    :class:`~segmentkit.backends.base.RowBackend` for backends with more rows). Under
    ``output.format: "parquet"`` the segments go to ``segments.parquet`` instead.
    """
    if run.config.output.format == "parquet":
        write_parquet(segments_table(run), folder / SEGMENTS_PARQUET_FILE)
    else:
        # Rendered on the run's cores: the figure workers have little to draw by now.
        write_csv(segments_table(run), folder / SEGMENTS_FILE, threads=_writer_threads(run))
    if len(run.prepared.dropped):
        write_csv(run.prepared.dropped, folder / DROPPED_FILE)
    return AssignedRows(run)


def save_run(
    run: SegmentationRun,
    out_dir: str | Path,
    *,
    log_text: str | Callable[[], str] | None = None,
    figures: bool = True,
    shown_as: str | Path | None = None,
    rows: RowBackend | None = None,
    figure_workers: FigureWorkers | None = None,
    before_swap: Callable[[SegmentationRun, Path], None] | None = None,
) -> Path:
    """Write every output file of a run into ``out_dir`` atomically.

    The files are written into a temporary sibling folder that replaces ``out_dir`` only
    when complete; a failure leaves the previous folder (or none) untouched.

    Parameters
    ----------
    run : SegmentationRun
        The finished run.
    out_dir : str or Path
        The output folder; an existing folder is replaced, an existing file is an error.
    log_text : str or callable, optional
        The run's log, written as ``run.log``; a callable is called once every input
        row has its segment, so that the log covers the assignment too (the Dask
        backend's scoring) and, like a string, not the writing of the other files.
    figures : bool
        Draw the PNGs and ``report.html``. When false (quick iterations,
        ``--no-figures``) every other file is written, ``plots/scatter_points.csv``
        included, so that ``segmentkit report`` can render the report later (without
        the PNG-only figures); ``run.json`` records ``"figures": false``.
    shown_as : str or Path, optional
        The folder log lines name (default ``out_dir``), for callers that write into a
        folder that is itself temporary.
    rows : RowBackend, optional
        A backend whose input holds more rows than the run: it writes the segment of
        every input row (:meth:`~segmentkit.backends.base.RowBackend.assign_all_rows`)
        where the local backend writes ``segments.csv`` (:func:`write_input_rows`).
    figure_workers : FigureWorkers, optional
        Processes that draw the PNGs side by side (default: drawn one after the other).
    before_swap : callable, optional
        ``before_swap(run, folder)`` once every file is in the temporary folder, before it
        replaces ``out_dir`` (a database table written from it); if it raises, nothing is
        replaced.

    Returns
    -------
    Path
        The output folder.

    Raises
    ------
    OutputError
        When the folder cannot be written (a full disk, a read-only or forbidden
        location); the message says which and the previous folder is unchanged.
    """
    # Imported when used: the figure modules load matplotlib, the report Jinja2 and plotly.
    from segmentkit.plots import in_report, log_figures_written, start_plots

    out_dir = Path(out_dir)
    # Log lines name the final folder: the temporary one is gone when they are read.
    shown = Path(shown_as or out_dir)
    # Steps: segments, other tables, figures, model, summary, report.
    add_steps(6 if figures else 5)
    with atomic_output_dir(out_dir) as tmp:
        pending: PendingFigures | None = None
        report = PendingJobs()
        try:
            log: str | None = None
            if rows is None:
                # The rows in memory are written as they are, and logged about by no
                # one: the PNGs are drawn while they are written (4 s at 1,000,000).
                log = log_text() if callable(log_text) else log_text
                with _writing(tmp / PLOTS_DIR):
                    pending, points = start_plots(
                        run, tmp / PLOTS_DIR, figures=figures, workers=figure_workers
                    )
                assigned = write_input_rows(run, tmp)
            else:
                # Every input row first: the rest of the folder describes the run as
                # assigned, and the log covers the assignment.
                assigned = rows.assign_all_rows(run, tmp)
                log = log_text() if callable(log_text) else log_text
            run = assigned.run
            advance()
            _write_tables(run, tmp)
            advance()
            if rows is not None:
                with _writing(tmp / PLOTS_DIR):
                    pending, points = start_plots(
                        run, tmp / PLOTS_DIR, figures=figures, workers=figure_workers
                    )
            # Written while the workers draw the PNGs.
            model = SegmentationModel.from_run(run)
            summary = run_summary(
                run,
                scatter=points.describe(),
                figures=figures,
                agreement=model.agreement,
                assigned=assigned,
            )
            write_json(summary, tmp / SUMMARY_FILE)
            with _writing(tmp / RUN_LOG_FILE):
                (tmp / RUN_LOG_FILE).write_text(log or "", encoding="utf-8")
            if figures:
                # Once the PNGs it shows are drawn, the report is rendered from the folder
                # (it reads no model).
                if pending is not None:
                    pending.wait_for(in_report)
                report = _start_report(tmp, shown, figure_workers, pending)
            with _writing(tmp / MODEL_NAME):
                model.save(tmp / MODEL_NAME)
            advance()
            advance()
            if figures:
                with _writing(tmp / REPORT_FILE):
                    if REPORT_FILE in report:
                        report.result(REPORT_FILE)
                    else:
                        _write_report(tmp, shown)
            if pending is not None:
                with _writing(tmp / PLOTS_DIR):
                    log_figures_written(pending.wait(), shown / PLOTS_DIR)
        except BaseException:
            # No worker writes into the folder that is removed.
            if pending is not None:
                pending.stop()
            if REPORT_FILE in report and figure_workers is not None:
                figure_workers.stop()
            raise
        advance()
        if figures:
            advance()
        if before_swap is not None:
            # Last, so that a failure there (a database table) leaves no folder either.
            before_swap(run, tmp)
    return out_dir


def _write_tables(run: SegmentationRun, folder: Path) -> None:
    """Write the profiles, the comparisons, the importance, the rules and the migration."""
    profiles = pd.concat([p.table for p in run.profiles.values()], ignore_index=True)
    write_csv(profiles, folder / PROFILES_FILE)
    write_csv(method_comparison_table(run), folder / COMPARISON_FILE)
    write_csv(k_selection_table(run), folder / K_SELECTION_FILE)
    write_csv(feature_importance_table(run), folder / IMPORTANCE_FILE)
    if run.rules:
        write_csv(segment_rules_table(run), folder / RULES_FILE)
        with _writing(folder / RULES_SQL_FILE):
            sql = segment_rules_sql(run)
            (folder / RULES_SQL_FILE).write_text(sql, encoding="utf-8", newline="\n")
    if run.migration is not None:
        write_csv(run.migration, folder / MIGRATION_FILE)


#: The report is queued behind at most this many figures per worker still to draw. It
#: is rendered in a worker while the run saves the model: on Mall's 9 PNGs the write
#: stage 2.0 -> 1.6 s; behind the 25 of ``--all-figures`` it would wait longer than the
#: run takes to render it itself after the model.
QUEUE_REPORT_BEHIND = 3


def _start_report(
    folder: Path,
    shown: Path,
    workers: FigureWorkers | None,
    pending: PendingFigures | None,
) -> PendingJobs:
    """Start rendering the report in a worker, unless the workers have much left to draw.

    A worker renders the report while the run saves the model, once it has drawn the
    figures queued before it: at most :data:`QUEUE_REPORT_BEHIND` per worker. With more
    left to draw, nothing is started, and the run renders the report itself after the
    model.
    """
    if (
        workers is None
        or not workers.running
        or (pending is not None and pending.unfinished() > QUEUE_REPORT_BEHIND * workers.processes)
    ):
        return PendingJobs()
    return PendingJobs({REPORT_FILE: workers.submit(_write_report, folder, shown)}, workers)


def _write_report(folder: Path, shown: Path) -> Path:
    from segmentkit.report import write_report

    return write_report(folder, shown_as=shown)


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Name ``path`` in an operating-system error that names no file (a failed write).

    A full disk fails a ``write`` call, whose error carries no file name (or only the
    folder, when a temporary file could not be created in it); the message the user
    sees should still say what was being written.
    """
    try:
        yield
    except OSError as error:
        if error.filename is None or Path(os.fsdecode(error.filename)) == path.parent:
            error.filename = str(path)
        raise
