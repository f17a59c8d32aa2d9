"""Stage progress: timings, one log line per stage, steps from inside a stage."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest

from segmentkit import progress
from segmentkit.config import Config
from segmentkit.datasets import make_customers
from segmentkit.pipeline import run_segmentation
from segmentkit.progress import (
    RunProgress,
    add_steps,
    advance,
    computed_elsewhere,
    run_stages,
    stage_weight,
)


def test_steps_outside_a_stage_are_ignored() -> None:
    add_steps(3)
    advance()


def test_each_stage_logs_its_position_elapsed_time_and_what_remains(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter([0.0, 0.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0])
    monkeypatch.setattr(progress.time, "perf_counter", lambda: next(clock))
    monkeypatch.setattr(progress, "STAGE_WEIGHTS", {"a": 1.0, "b": 0.5, "c": 2.0})
    monkeypatch.setattr(progress, "PRIOR_SECONDS", 2.0)
    reporter = RunProgress(["a", "b", "c"])
    with caplog.at_level(logging.INFO, logger="segmentkit.progress"):
        with reporter.stage("a"):
            pass
        with reporter.stage("b"):
            pass
    lines = [r.getMessage() for r in caplog.records]
    # a (weight 1) took 2 s: the pace is (2 + 2) / (1 + 2) with the prior's 2 s, and b and
    # c (2.5) remain: about 3.3 s.
    assert lines[0] == "Stage a done in 2.0 s (1 of 3, 2 s elapsed, about 3 s left)"
    # 3 s for weight 1.5: c (2.0) at a pace of 5 / 3.5, about 2.9 s.
    assert lines[1] == "Stage b done in 1.0 s (2 of 3, 3 s elapsed, about 3 s left)"
    assert reporter.timings == {"a": 2.0, "b": 1.0}
    assert reporter.remaining_seconds() == pytest.approx(2.0 * 5 / 3.5)


def test_steps_reach_the_running_stage_only() -> None:
    reporter = RunProgress(["a"])
    with reporter.stage("a"):
        add_steps(4)
        advance(3)
        stage = progress._current.get()
        assert stage is not None and (stage.total, stage.done) == (4, 3)
    assert progress._current.get() is None


def test_a_run_reports_every_stage_in_order(caplog: pytest.LogCaptureFixture) -> None:
    frame = make_customers(300, n_segments=3, seed=1).frame
    config = Config().with_overrides(
        {"clustering.methods": ["kmeans", "agglomerative"], "clustering.stability.n_resamples": 2}
    )
    with caplog.at_level(logging.INFO, logger="segmentkit.progress"):
        run = run_segmentation(frame, config)
    stages = [
        r.getMessage().split()[1] for r in caplog.records if r.getMessage().startswith("Stage")
    ]
    assert stages == run_stages(["kmeans", "agglomerative"], read=False, write=False)
    assert list(run.timings) == stages
    assert "(5 of 5, " in caplog.records[-1].getMessage()


def test_the_bar_counts_every_candidate_fit_and_resample() -> None:
    # K-Means with k in 2..4 and 2 resamples: 3 candidates + 1 final fit + 2 resamples.
    frame = make_customers(300, n_segments=3, seed=1).frame
    config = Config().with_overrides(
        {
            "clustering.methods": ["kmeans"],
            "clustering.k_max": 4,
            "clustering.stability.n_resamples": 2,
        }
    )
    seen: dict[str, tuple[int, int]] = {}
    original = RunProgress.stage

    def spy(self: RunProgress, name: str):  # type: ignore[no-untyped-def]
        manager = original(self, name)

        class Spy:
            def __enter__(self) -> None:
                manager.__enter__()

            def __exit__(self, *exc: object) -> None:
                stage = progress._current.get()
                assert stage is not None
                seen[name] = (stage.total, stage.done)
                manager.__exit__(*exc)

        return Spy()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RunProgress, "stage", spy)
        run_segmentation(frame, config)
    assert seen["segment:kmeans"] == (6, 6)
    assert seen["explain"] == (1, 1)


#: Seconds from each stage's end to the next's in one default run of 100,000 customers
#: (2 cores): a size no table of weights was measured at.
RUN_100K = {
    "read": 0.08,
    "prepare": 1.84,
    "segment:kmeans": 5.46,
    "segment:agglomerative": 0.1,
    "segment:gmm": 5.92,
    "segment:dbscan": 0.0,
    "segment:genie": 0.0,
    "profile": 0.45,
    "explain": 4.44,
    "write": 3.7,
}


def replay(
    run: dict[str, float],
    rows: int,
    after: str,
    *,
    gaps: float = 0.0,
    figures: bool = True,
    processes: int = 2,
    tolerance: float = 1 / 3,
) -> tuple[RunProgress, float]:
    """Replay ``run``'s stages up to ``after``: the estimate is within ``tolerance`` of the truth.

    ``gaps``: seconds the run spends between each two stages, outside any of them.
    """
    stages = list(run)
    now = [0.0]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(progress.time, "perf_counter", lambda: now[0])
        reporter = RunProgress(stages)
        reporter.rows = rows
        reporter.plan(processes=processes, figures=figures)
        for stage in stages[: stages.index(after) + 1]:
            now[0] += gaps
            with reporter.stage(stage):
                now[0] += run[stage]
        estimate = reporter.remaining_seconds()
    rest = stages[stages.index(after) + 1 :]
    truth = sum(run[s] for s in rest) + gaps * len(rest)
    assert estimate is not None
    # Or within a second: the line rounds to whole seconds.
    assert abs(estimate - truth) <= max(truth * tolerance, 1.0), (after, estimate, truth)
    return reporter, estimate


@pytest.mark.parametrize(
    "after", ["prepare", "segment:kmeans", "segment:agglomerative", "segment:gmm", "profile"]
)
def test_the_estimate_of_what_remains_follows_the_stage_costs_of_that_size(after: str) -> None:
    """After the stages of a 100,000-customer run the estimate is within a third of the truth.

    With one table of shares for every size, reading and cleaning weighed a fifth of a run:
    after K-Means a 10,000-customer run said 12 s were left where 31 s were.
    """
    progress, estimate = replay(RUN_100K, 100_000, after)
    progress.rows = None  # unknown size: the million-customer shares
    unknown = progress.remaining_seconds()
    assert unknown is not None and unknown != estimate


def test_stage_weights_blend_between_the_measured_sizes() -> None:
    small = stage_weight("prepare", 10_000)
    large = stage_weight("prepare", 1_000_000)
    assert small < stage_weight("prepare", 100_000) < large
    huge = stage_weight("prepare", 10_000_000)
    assert large < stage_weight("prepare", 4_000_000) < huge
    tiny = stage_weight("prepare", 200)
    assert tiny < stage_weight("prepare", 5_000) < small
    assert stage_weight("prepare", 20) == tiny  # below and above: the nearest size
    # Below 10,000 customers on a log scale: 2,240 are 62% of the way from 200 to 10,000.
    low, high = stage_weight("segment:kmeans", 200), stage_weight("segment:kmeans", 10_000)
    share = math.log(2_240 / 200) / math.log(10_000 / 200)
    assert stage_weight("segment:kmeans", 2_240) == pytest.approx(low + (high - low) * share)
    # Above it on a straight line: 25,000 customers are half way from 10,000 to 40,000.
    low, high = stage_weight("prepare", 10_000), stage_weight("prepare", 40_000)
    assert stage_weight("prepare", 25_000) == pytest.approx((low + high) / 2)
    assert stage_weight("prepare", 50_000_000) == huge


#: One 10,000,000-customer run's seconds per stage (segmentkit run, 2 cores, five methods),
#: not the run the weights were measured on. With the million-customer shares, after
#: reading a run said "about 624 s left" where 311 were, and after cleaning 447 where 209
#: were. With the equal shares the methods weighed before they started longest first, this
#: run would have heard 156 s left after K-Means where 70 were (72 with the measured waits).
RUN_10M = {
    "read": 4.5,
    "prepare": 95.6,
    "segment:kmeans": 50.5,
    "segment:agglomerative": 0.0,
    "segment:gmm": 0.0,
    "segment:dbscan": 0.0,
    "segment:genie": 6.2,
    "profile": 29.5,
    "explain": 0.2,
    "write": 34.2,
}


@pytest.mark.parametrize(
    "after", ["read", "prepare", "segment:kmeans", "segment:agglomerative", "profile"]
)
def test_the_estimate_of_what_remains_holds_at_ten_million_customers(after: str) -> None:
    replay(RUN_10M, 10_000_000, after)


def test_a_stage_computed_in_workers_says_how_long_the_work_took(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A method that finished in a worker while the run waited for another was "done in
    # 0.0 s": the line now also gives the work's own time.
    progress = RunProgress(["segment:kmeans", "segment:dbscan", "explain"])
    with caplog.at_level(logging.INFO, logger="segmentkit"):
        with progress.stage("segment:kmeans"):
            pass
        with progress.stage("segment:dbscan"):
            computed_elsewhere(7.61)
        with progress.stage("explain"):
            computed_elsewhere(1.5)
            computed_elsewhere(2.0)
    lines = [m for m in caplog.messages if m.startswith("Stage")]
    assert "work in worker" not in lines[0]
    assert lines[1].startswith(
        "Stage segment:dbscan done: 7.6 s of work side by side in worker processes, "
        "0.0 s waited for (2 of 3,"
    )
    assert lines[2].startswith("Stage explain done: 3.5 s of work side by side")


def test_the_estimate_after_reading_knows_how_many_customers_were_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read stage's line weighs what is left at the size just read, not a million's.

    Without it, a 10,000,000-customer run said "about 848 s left" after reading where
    about 290 s were: the size was set only after the line was written.
    """
    from segmentkit import api

    data = make_customers(300, seed=0).frame
    path = tmp_path / "customers.csv"
    data.to_csv(path, index=False)
    seen: dict[str, int | None] = {}
    summary = RunProgress._summary

    def spy(self: RunProgress, name: str, *args: object) -> str:
        seen[name] = self.rows
        return summary(self, name, *args)  # type: ignore[arg-type]

    class Stop(Exception):
        pass

    def stop(*args: object) -> None:
        raise Stop

    monkeypatch.setattr(RunProgress, "_summary", spy)
    monkeypatch.setattr(api, "_refuse_a_transaction_log", stop)  # right after reading
    with pytest.raises(Stop):
        api.segment_file(path, Config(), tmp_path / "out")
    assert seen == {"read": 300}


def test_after_a_transaction_log_the_estimate_weighs_its_customers(tmp_path: Path) -> None:
    """The stages after ``--transactions`` work on customers, not on the log's lines."""
    from segmentkit import api
    from segmentkit.datasets import sample_data_path

    seen: dict[str, int | None] = {}
    summary = RunProgress._summary

    def spy(self: RunProgress, name: str, *args: object) -> str:
        seen[name] = self.rows
        return summary(self, name, *args)  # type: ignore[arg-type]

    config = Config().with_overrides(
        {"clustering.methods": ["kmeans"], "clustering.k": 3, "clustering.stability.n_resamples": 2}
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RunProgress, "_summary", spy)
        run, _ = api.segment_file(
            sample_data_path("online_retail_sample.csv.gz"),
            config,
            tmp_path / "out",
            transactions=True,
            figures=False,
        )
    customers = len(run.prepared.ids)
    assert seen["read"] is not None and seen["read"] > customers  # the log's lines
    assert seen["transactions"] == seen["prepare"] == customers


def test_methods_one_after_the_other_or_not_the_measured_five_weigh_their_work() -> None:
    stages = run_stages(["kmeans", "agglomerative", "gmm", "dbscan", "genie"])
    progress = RunProgress(stages)
    progress.rows = 10_000
    # Side by side, the five in their order: the measured waits (K-Means the longest).
    measured = [progress._weight(s) for s in stages if s.startswith("segment:")]
    assert measured == [4.4, 0.02, 2.34, 0.0, 0.0]
    # One after the other: each method its own work.
    progress.side_by_side = False
    alone = [progress._weight(s) for s in stages if s.startswith("segment:")]
    assert alone == [1.8, 4.0, 2.8, 2.7, 1.9]
    # Another choice side by side in two workers: Agglomerative (4.0 s) and K-Means (1.8)
    # start first, GMM (2.8) when K-Means is done, at 4.6 s. Read first, GMM is waited
    # for 4.6 s, then the others are already done.
    chosen = RunProgress(run_stages(["gmm", "kmeans", "agglomerative"]))
    chosen.rows, chosen.processes = 10_000, 2
    waits = [chosen._weight(s) for s in chosen.stages if s.startswith("segment:")]
    assert waits == pytest.approx([4.6, 0.0, 0.0])
    # In three workers all start at once: GMM 2.8 s, K-Means done by then, then 1.2 s more
    # for Agglomerative.
    chosen.processes = 3
    waits = [chosen._weight(s) for s in chosen.stages if s.startswith("segment:")]
    assert waits == pytest.approx([2.8, 0.0, 1.2])


def test_a_run_says_whether_its_methods_ran_side_by_side() -> None:
    from segmentkit.pipeline import run_segmentation

    frame = make_customers(300, n_segments=3, seed=2).frame
    config = Config().with_overrides(
        {"clustering.methods": ["kmeans", "gmm"], "clustering.stability.n_resamples": 0}
    )
    progress = RunProgress(run_stages(["kmeans", "gmm"], read=False, write=False))
    run_segmentation(frame, config, progress=progress)  # no workers: one after the other
    assert progress.side_by_side is False


#: Runs that are not the default five methods with figures, seconds as RUN_100K's. K-Means
#: alone without figures on 10,000 customers once heard "about 15 s left" after cleaning
#: where 4 were: the explanations weighed five methods' and writing weighed the figures.
RUN_10K_KMEANS_NO_FIGURES = {
    "read": 0.02,
    "prepare": 0.95,
    "segment:kmeans": 2.26,
    "profile": 0.05,
    "explain": 0.89,
    "write": 0.8,
}
#: Two methods side by side: "about 9 s left" after K-Means where 2 were.
RUN_10K_KMEANS_GENIE = {
    "read": 0.02,
    "prepare": 1.01,
    "segment:kmeans": 2.22,
    "segment:genie": 0.67,
    "profile": 0.17,
    "explain": 0.99,
    "write": 2.3,
}
#: The five one after the other (``--n-jobs 1``), no figures: "about 14 s left" after
#: K-Means where 18 were, the explanations weighed as what a run waits for them in workers.
RUN_10K_ONE_AFTER_THE_OTHER = {
    "read": 0.02,
    "prepare": 0.74,
    "segment:kmeans": 2.21,
    "segment:agglomerative": 2.81,
    "segment:gmm": 3.0,
    "segment:dbscan": 3.1,
    "segment:genie": 1.82,
    "profile": 0.17,
    "explain": 6.78,
    "write": 1.5,
}
#: The Mall's 200 customers, two methods, no figures: "about 4 s left" after reading
#: where 2 were, when 10,000 customers' weights stood for every smaller size.
RUN_MALL_TWO_METHODS_NO_FIGURES = {
    "read": 0.01,
    "prepare": 0.3,
    "segment:kmeans": 0.77,
    "segment:gmm": 0.69,
    "profile": 0.06,
    "explain": 0.15,
    "write": 0.7,
}


@pytest.mark.parametrize(
    ("run", "rows", "figures", "processes"),
    [
        (RUN_10K_KMEANS_NO_FIGURES, 10_000, False, 2),
        (RUN_10K_KMEANS_GENIE, 10_000, True, 2),
        (RUN_10K_ONE_AFTER_THE_OTHER, 10_000, False, 0),
        (RUN_MALL_TWO_METHODS_NO_FIGURES, 200, False, 2),
    ],
    ids=["kmeans-no-figures", "kmeans-genie", "one-after-the-other", "mall-no-figures"],
)
def test_the_estimate_weighs_the_methods_asked_for_and_whether_figures_are_drawn(
    run: dict[str, float], rows: int, figures: bool, processes: int
) -> None:
    for after in list(run)[:-1]:
        replay(run, rows, after, figures=figures, processes=processes, tolerance=0.5)


def test_what_runs_between_the_stages_counts_towards_the_pace() -> None:
    """Time spent outside any stage (starting workers, the finer alternative) is run time."""
    _, with_gaps = replay(RUN_100K, 100_000, "segment:kmeans", gaps=0.5)
    _, without = replay(RUN_100K, 100_000, "segment:kmeans")
    assert with_gaps > without


def test_a_run_tells_its_progress_about_figures_and_cores_before_they_weigh(
    tmp_path: Path,
) -> None:
    """``--no-figures`` and one core are known from the read stage's line on."""
    from segmentkit import api

    seen: list[tuple[str, bool, bool]] = []
    summary = RunProgress._summary

    def spy(self: RunProgress, name: str, *args: object) -> str:
        seen.append((name, self.figures, self.side_by_side))
        return summary(self, name, *args)  # type: ignore[arg-type]

    data = make_customers(300, n_segments=3, seed=0).frame
    path = tmp_path / "customers.csv"
    data.to_csv(path, index=False)
    config = Config().with_overrides(
        {
            "n_jobs": 1,
            "clustering.methods": ["kmeans", "gmm"],
            "clustering.stability.n_resamples": 2,
        }
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RunProgress, "_summary", spy)
        api.segment_file(path, config, tmp_path / "out", figures=False)
    # From the read stage's line on: no figures, one core (one method after the other).
    assert seen == [(name, False, False) for name, _, _ in seen]
    assert [name for name, _, _ in seen][:2] == ["read", "prepare"]
