"""The run's worker processes: results and log lines come back, a dead worker stops the run.

Also when a worker dies during any stage of a real run: one line, exit 1, nothing left
behind (before the executor, a worker killed during the figures hung the run).
"""

from __future__ import annotations

import importlib
import json
import logging
import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import RunCli, error_lines
from segmentkit.datasets import make_customers
from segmentkit.errors import DataError, ResourceError
from segmentkit.workers import PendingJobs, RunWorkers

#: Two methods (so that they and their explanations run in workers) and quick.
TWO_METHODS = {
    "clustering": {"methods": ["kmeans", "gmm"], "k": 3, "stability": {"n_resamples": 0}},
    "explain": {"n_estimators": 10, "n_repeats": 1},
}


def logs_and_adds(a: int, b: int) -> int:
    logging.getLogger("segmentkit.test").info("adding %d and %d", a, b)
    return a + b


def returns_an_error(message: str) -> DataError:
    logging.getLogger("segmentkit.test").warning("about to fail")
    return DataError(message, hint="a hint")


def dies() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_results_and_log_lines_come_back_in_order(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="segmentkit"), RunWorkers(2) as workers:
        assert workers.running
        pending = PendingJobs(
            {f"job{i}": workers.submit(logs_and_adds, i, 10) for i in range(4)}, workers
        )
        assert "job3" in pending
        assert [pending.result(f"job{i}") for i in (3, 0, 1, 2)] == [13, 10, 11, 12]
    assert caplog.messages == [f"adding {i} and 10" for i in (3, 0, 1, 2)]
    assert not multiprocessing.active_children()


def test_a_returned_error_is_raised_after_its_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="segmentkit"), RunWorkers(2) as workers:
        pending = PendingJobs({"bad": workers.submit(returns_an_error, "no way")}, workers)
        with pytest.raises(DataError, match="no way") as raised:
            pending.result("bad")
    assert raised.value.hint == "a hint"
    assert caplog.messages == ["about to fail"]


def test_a_killed_worker_stops_the_wait_with_a_clear_error() -> None:
    # multiprocessing.Pool replaces a dead worker and loses its job: without the check
    # the run would wait for ever.
    started = time.monotonic()
    with (
        pytest.raises(ResourceError, match="stopped unexpectedly") as raised,
        RunWorkers(2) as workers,
    ):
        pending = PendingJobs({"dies": workers.submit(dies)}, workers)
        pending.result("dies")
    assert "--n-jobs 1" in (raised.value.hint or "")
    assert time.monotonic() - started < 20
    assert not multiprocessing.active_children()


def sleeps(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_workers_killed_from_outside_stop_the_wait() -> None:
    # The out-of-memory killer picks any worker, idle ones too. An idle worker waits for
    # its next job holding the job queue's lock: multiprocessing.Pool's terminate waited
    # for that lock for ever.
    started = time.monotonic()
    with pytest.raises(ResourceError), RunWorkers(2) as workers:
        pending = PendingJobs({"slow": workers.submit(sleeps, 30)}, workers)
        time.sleep(0.5)
        for worker in multiprocessing.active_children():
            os.kill(worker.pid or 0, signal.SIGKILL)
        pending.result("slow")
    assert time.monotonic() - started < 20
    assert not multiprocessing.active_children()


def total(array: np.ndarray) -> float:
    return float(array.sum())


def test_an_array_shared_once_is_mapped_by_the_jobs_then_removed() -> None:
    # The rows that shape segments at 10,000,000 customers: 1.3 GB the run need not keep.
    array = np.arange(300_000, dtype=np.float64)
    with RunWorkers(2) as workers:
        shared, release = workers.share_once(array)
        files = list(workers._folder.iterdir()) if workers._folder else []
        assert len(files) == 1 and files[0].stat().st_size > array.nbytes
        pending = PendingJobs(
            {f"job{i}": workers.submit(total, shared) for i in range(3)},
            workers,
            when_done=release,
        )
        assert pending.result("job1") == array.sum()
        assert files[0].exists()  # other jobs still to come
        assert [pending.result(f"job{i}") for i in (0, 2)] == [array.sum()] * 2
        # Removed once the last job's result came, while the workers still run.
        assert not files[0].exists()
        kept = workers.share(array)
        assert workers.submit(total, kept).result()[0] == array.sum()
        workers.unshare(array)
        assert not any(workers._folder.iterdir())
        workers.unshare(array)  # no longer shared: nothing to remove
        small, release_small = workers.share_once(np.ones(3))
        assert isinstance(small, np.ndarray) and small.sum() == 3
        release_small()  # nothing was written: nothing to remove


def test_without_workers_nothing_is_submitted() -> None:
    with RunWorkers(0) as workers:
        assert not workers.running
        with pytest.raises(RuntimeError):
            workers.submit(logs_and_adds, 1, 2)


# A worker killed at each stage of a real run that uses workers: the methods, their
# explanations, the figures. The killer replaces one function in the run's process before
# the workers fork, so that only the workers call it; the run's own process never does.
RUN_PROCESS = os.getpid()
#: Where the run's large arrays are shared with its workers (segmentkit.workers.share).
SHARED_MEMORY = Path("/dev/shm")  # noqa: S108 - only read
STAGE_FUNCTIONS = {
    "methods": ("segmentkit.methods.parallel", "_run_in_worker"),
    "explanations": ("segmentkit.describe.explanation", "_explain_in_worker"),
    "figures": ("segmentkit.plots.static", "segment_sizes"),
}


def kills_its_worker(*args: object, **kwargs: object) -> None:
    if os.getpid() != RUN_PROCESS:
        os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("called in the run's own process")


@pytest.mark.parametrize("stage", list(STAGE_FUNCTIONS))
def test_a_worker_killed_at_any_stage_stops_the_run_cleanly(
    stage: str, tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, name = STAGE_FUNCTIONS[stage]
    monkeypatch.setattr(importlib.import_module(module), name, kills_its_worker)
    data = tmp_path / "customers.csv"
    make_customers(300, n_segments=3, seed=0).frame.to_csv(data, index=False)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(TWO_METHODS))
    shm_before = set(SHARED_MEMORY.glob("segmentkit-*"))
    started = time.monotonic()

    code, _, err = run_cli(
        "run", data, "--config", config, "-o", tmp_path / "out", "--n-jobs", 2, "--quiet"
    )

    assert code == 1
    assert error_lines(err) == [err.strip()]
    assert "worker process of the run stopped unexpectedly" in err
    assert "Traceback" not in err
    assert time.monotonic() - started < 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "customers.csv"]
    assert set(SHARED_MEMORY.glob("segmentkit-*")) == shm_before
    assert not multiprocessing.active_children()


def test_workers_that_fail_to_start_leave_no_pool_and_no_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from segmentkit import workers as workers_module

    folders: list[Path] = []

    class FailsWhileForking(ProcessPoolExecutor):
        def submit(self, *args: object, **kwargs: object) -> Any:
            folders.append(Path(self._initargs[1]))  # type: ignore[attr-defined]
            raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(workers_module, "ProcessPoolExecutor", FailsWhileForking)
    with workers_module.RunWorkers(2) as workers:
        assert not workers.running  # the run works in its own process
    assert folders and not folders[0].exists()
