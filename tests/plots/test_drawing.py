"""Tests for segmentkit.plots.drawing: figures drawn in worker processes, as in the run's."""

from __future__ import annotations

import errno
import logging
import multiprocessing
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from segmentkit import workers as run_workers
from segmentkit.output import export
from segmentkit.plots import drawing, in_report, static
from segmentkit.plots.drawing import FigureJob, FigureWorkers

SIZES = pd.DataFrame(
    {"segment": [1, 0, -1], "name": ["Thrifty", "Big spenders", "Noise"], "share": [0.3, 0.6, 0.1]}
)


def sizes_jobs(folder: Path, count: int) -> list[FigureJob]:
    return [
        FigureJob(folder / f"sizes_{i}.png", static.segment_sizes, (SIZES,), {"method": f"m{i}"})
        for i in range(count)
    ]


def scatter_job(folder: Path) -> FigureJob:
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(300, 3)), columns=["x", "y", "z"])
    table["group"] = rng.integers(-1, 3, size=300)
    return FigureJob(
        folder / "scatter.png",
        static.scatter_3d,
        (table,),
        {"axis_labels": ("a", "b", "c"), "names": {}, "title": "t", "note": ""},
    )


def logs_and_draws(method: str) -> Figure:
    """A figure function that logs, as the real ones do when they shorten something."""
    logging.getLogger("segmentkit.plots.static").warning("drawn in a worker: %s", method)
    return static.segment_sizes(SIZES, method=method)


def fails_to_write(method: str) -> Figure:
    raise OSError(errno.ENOSPC, "No space left on device")


def slow_figure(method: str) -> Figure:
    time.sleep(30)
    return static.segment_sizes(SIZES, method=method)


def test_workers_draw_the_same_bytes_as_the_run_process(tmp_path: Path) -> None:
    here, there = tmp_path / "here", tmp_path / "workers"
    here.mkdir()
    there.mkdir()
    drawn_here = FigureWorkers(0).start([*sizes_jobs(here, 4), scatter_job(here)]).wait()
    with FigureWorkers(2) as workers:
        drawn_there = workers.start([*sizes_jobs(there, 4), scatter_job(there)]).wait()
    assert [p.name for p in drawn_here] == [p.name for p in drawn_there]
    assert len(drawn_there) == 5
    for a, b in zip(drawn_here, drawn_there, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert not multiprocessing.active_children()


def test_a_worker_log_line_reaches_the_run_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    jobs = [FigureJob(tmp_path / f"f{i}.png", logs_and_draws, (f"m{i}",)) for i in range(4)]
    with caplog.at_level(logging.WARNING, logger="segmentkit"), FigureWorkers(2) as workers:
        workers.start(jobs).wait()
    # In job order, whichever worker drew which figure.
    assert [r.getMessage() for r in caplog.records] == [
        f"drawn in a worker: m{i}" for i in range(4)
    ]
    assert {r.name for r in caplog.records} == {"segmentkit.plots.static"}


def test_a_failed_figure_raises_its_error_in_the_run(tmp_path: Path) -> None:
    jobs = [*sizes_jobs(tmp_path, 3), FigureJob(tmp_path / "full.png", fails_to_write, ("m",))]
    with pytest.raises(OSError) as raised, FigureWorkers(2) as workers:
        workers.start(jobs).wait()
    assert raised.value.errno == errno.ENOSPC
    assert not (tmp_path / "full.png").exists()
    assert not multiprocessing.active_children()


def test_stop_leaves_no_worker_writing(tmp_path: Path) -> None:
    jobs = [FigureJob(tmp_path / f"slow{i}.png", slow_figure, (f"m{i}",)) for i in range(4)]
    started = time.monotonic()
    with FigureWorkers(2) as workers:
        pending = workers.start(jobs)
        pending.stop()
        assert not multiprocessing.active_children()
        # Figures started after a stop are drawn in the run's own process.
        assert workers.start(sizes_jobs(tmp_path, 4)).wait()[0].is_file()
    assert time.monotonic() - started < 20
    assert not list(tmp_path.glob("slow*.png"))


def test_an_exception_in_the_run_stops_the_workers(tmp_path: Path) -> None:
    jobs = [FigureJob(tmp_path / f"slow{i}.png", slow_figure, (f"m{i}",)) for i in range(4)]
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), FigureWorkers(2) as workers:
        workers.start(jobs)
        raise KeyboardInterrupt
    assert time.monotonic() - started < 20
    assert not multiprocessing.active_children()


def test_one_core_or_another_platform_draws_in_the_run_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(run_workers.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert drawing.figure_processes() == 0
    monkeypatch.setattr(
        run_workers.os, "sched_getaffinity", lambda pid: set(range(16)), raising=False
    )
    assert drawing.figure_processes() == drawing.MAX_PROCESSES
    # The run's n_jobs budget caps the workers too: --n-jobs 1 draws in the run's process.
    assert drawing.figure_processes(3) == 3
    assert drawing.figure_processes(1) == 0
    monkeypatch.setattr(run_workers.sys, "platform", "darwin")
    assert drawing.figure_processes() == 0


def test_workers_that_cannot_start_fall_back_to_the_run_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_processes(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(run_workers, "ProcessPoolExecutor", no_processes)
    with FigureWorkers(2) as workers:
        assert not workers.running
        drawn = workers.start(sizes_jobs(tmp_path, 4)).wait()
    assert all(path.is_file() for path in drawn)


def renders_and_says_where(folder: Path, shown: Path) -> Path:
    """The report job of a run, noting which process rendered it (next to the output)."""
    (folder.parent / "report_rendered_by").write_text(str(os.getpid()))
    from segmentkit.report import write_report

    return write_report(folder, shown_as=shown)


def test_a_run_drawn_in_workers_equals_one_drawn_in_its_own_process(
    tmp_path: Path, small_customers_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from segmentkit.api import segment_file
    from segmentkit.config import Config

    # Every method's figures: every kind is compared.
    two_jobs = Config().with_overrides({"n_jobs": 2, "report.figures": "all"})
    # The report is rendered in a worker when one is free (a large run draws its PNGs
    # while writing segments.csv); here it is made to be.
    monkeypatch.setattr(export, "_write_report", renders_and_says_where)
    monkeypatch.setattr(drawing.PendingFigures, "unfinished", lambda self: 0)
    _, parallel = segment_file(small_customers_csv, two_jobs, out_dir=tmp_path / "parallel")
    assert int((tmp_path / "report_rendered_by").read_text()) != os.getpid()
    monkeypatch.setattr(drawing, "figure_processes", lambda jobs=None: 0)
    _, serial = segment_file(small_customers_csv, two_jobs, out_dir=tmp_path / "serial")
    pngs = sorted(p.relative_to(serial) for p in serial.rglob("*.png"))
    assert len(pngs) >= 20
    assert pngs == sorted(p.relative_to(parallel) for p in parallel.rglob("*.png"))
    for name in [*pngs, Path("report.html"), Path("segments.csv")]:
        assert (serial / name).read_bytes() == (parallel / name).read_bytes(), name


def test_waiting_for_some_figures_leaves_the_others_drawing(tmp_path: Path) -> None:
    # The report waits for the PNGs it embeds only, and is written while the rest draw.
    slow = [FigureJob(tmp_path / f"slow{i}.png", slow_figure, (f"m{i}",)) for i in range(2)]
    started = time.monotonic()
    with FigureWorkers(2) as workers:
        pending = workers.start([*sizes_jobs(tmp_path, 2), *slow])
        pending.wait_for(lambda path: path.name.startswith("sizes_"))
        assert (tmp_path / "sizes_0.png").is_file() and (tmp_path / "sizes_1.png").is_file()
        assert not (tmp_path / "slow0.png").exists()
        assert time.monotonic() - started < 20
        pending.stop()


def test_in_report_names_the_pngs_the_report_embeds() -> None:
    assert in_report(Path("plots/dendrogram_agglomerative.png"))
    assert in_report(Path("plots/silhouette_kmeans.png"))
    assert not in_report(Path("plots/scatter_kmeans.png"))
    assert not in_report(Path("plots/drivers_kmeans.csv"))


@pytest.mark.parametrize(("left", "in_worker"), [(6, True), (7, False)])
def test_the_report_waits_in_a_worker_behind_a_few_figures_only(
    tmp_path: Path,
    small_customers_csv: Path,
    monkeypatch: pytest.MonkeyPatch,
    left: int,
    in_worker: bool,
) -> None:
    from segmentkit.api import segment_file
    from segmentkit.config import Config

    assert export.QUEUE_REPORT_BEHIND * 2 == 6  # two workers
    config = Config().with_overrides({"n_jobs": 2, "clustering.methods": ["kmeans"]})
    monkeypatch.setattr(export, "_write_report", renders_and_says_where)
    monkeypatch.setattr(drawing.PendingFigures, "unfinished", lambda self: left)
    segment_file(small_customers_csv, config, out_dir=tmp_path / "out")
    rendered_by = int((tmp_path / "report_rendered_by").read_text())
    assert (rendered_by != os.getpid()) is in_worker
