"""The run's worker processes: results and log lines come back, a dead worker stops the run."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time

import pytest

from segmentkit.errors import DataError, ResourceError
from segmentkit.workers import PendingJobs, RunWorkers


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


def test_without_workers_nothing_is_submitted() -> None:
    with RunWorkers(0) as workers:
        assert not workers.running
        with pytest.raises(RuntimeError):
            workers.submit(logs_and_adds, 1, 2)
