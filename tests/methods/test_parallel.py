"""The methods side by side in worker processes give what they give one after the other."""

from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segmentkit import pipeline
from segmentkit import workers as workers_module
from segmentkit.config import ClusteringConfig, Config
from segmentkit.datasets import make_customers
from segmentkit.pipeline import segment_prepared
from segmentkit.prepare.transformer import prepare
from segmentkit.workers import RunWorkers

METHODS = ["kmeans", "agglomerative", "gmm", "dbscan", "genie"]


@pytest.fixture(scope="module")
def prepared_and_config() -> tuple[object, Config]:
    config = Config().with_overrides(
        {
            "clustering.methods": METHODS,
            "clustering.k_max": 6,
            "clustering.gmm.covariance_types": ["full", "diag"],
            "clustering.stability.n_resamples": 4,
        }
    )
    frame = make_customers(600, n_segments=4, seed=2).frame
    return prepare(frame, config), config


def _segment(
    prepared: object, config: Config, workers: RunWorkers | None, caplog: pytest.LogCaptureFixture
) -> tuple[dict, dict, list[str]]:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="segmentkit"):
        results, skipped = segment_prepared(prepared, config, jobs=2, workers=workers)  # type: ignore[arg-type]
    messages = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("segmentkit.methods") and "side by side" not in r.getMessage()
    ]
    return results, skipped, messages


@pytest.mark.parametrize("share_bytes", [workers_module.SHARE_BYTES, 0])
def test_side_by_side_gives_the_same_segmentations_and_log(
    prepared_and_config: tuple[object, Config],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    share_bytes: int,
) -> None:
    # With 0, the matrix reaches the workers as a read-only map of one file, as a large
    # one does (1,000,000 customers: 129 MB), instead of a copy in every job.
    monkeypatch.setattr(workers_module, "SHARE_BYTES", share_bytes)
    prepared, config = prepared_and_config
    here, skipped_here, log_here = _segment(prepared, config, None, caplog)
    with RunWorkers(2) as workers:
        assert workers.running
        apart, skipped_apart, log_apart = _segment(prepared, config, workers, caplog)
        assert any(
            "side by side in 2 worker processes, 1 thread each" in m for m in caplog.messages
        )
    assert not multiprocessing.active_children()
    assert list(apart) == list(here) == METHODS
    assert skipped_apart == skipped_here == {}
    for name in METHODS:
        one, other = here[name], apart[name]
        np.testing.assert_array_equal(one.labels, other.labels)
        assert one.params == other.params
        pd.testing.assert_frame_equal(one.criteria, other.criteria, rtol=1e-9)
        assert one.stability == other.stability
        np.testing.assert_array_equal(
            one.assigner.predict(prepared.X), other.assigner.predict(prepared.X)
        )  # type: ignore[attr-defined]
    # What each method logged in its worker is logged by the run, in the methods' order.
    assert log_apart == log_here
    assert [m.split(":")[0] for m in log_apart if "stability mean ARI" in m] == METHODS


def test_a_method_that_cannot_run_is_skipped_as_in_the_run_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = Config().with_overrides(
        {
            "clustering.methods": ["kmeans", "dbscan"],
            "clustering.k_max": 4,
            "clustering.dbscan.min_samples": 500,
            "clustering.stability.n_resamples": 0,
        }
    )
    prepared = prepare(make_customers(300, n_segments=3, seed=1).frame, config)
    here = _segment(prepared, config, None, caplog)
    with RunWorkers(2) as workers:
        apart = _segment(prepared, config, workers, caplog)
    assert list(apart[0]) == list(here[0]) == ["kmeans"]
    assert apart[1] == here[1]
    assert "dbscan needs more than min_samples = 500 customers" in apart[1]["dbscan"]


def test_methods_that_would_not_fit_in_memory_together_run_one_after_the_other(
    prepared_and_config: tuple[object, Config],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prepared, config = prepared_and_config
    # Room for any one method (each stage checks its own need), not for two at once.
    monkeypatch.setattr(pipeline, "available_memory", lambda: 300 * 2**20)
    with RunWorkers(2) as workers, caplog.at_level(logging.INFO, logger="segmentkit"):
        results, _ = segment_prepared(prepared, config, jobs=2, workers=workers)  # type: ignore[arg-type]
    assert list(results) == METHODS
    assert not any("side by side" in m for m in caplog.messages)


def test_a_workers_methods_share_its_neighbour_graphs(
    prepared_and_config: tuple[object, Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    from segmentkit.methods import SplitRows, parallel
    from segmentkit.selection import shared

    prepared, config = prepared_and_config
    computed: list[int] = []
    original = shared.neighbour_graph

    def counted(X: np.ndarray, M: int) -> tuple[np.ndarray, np.ndarray]:
        computed.append(len(X))
        return original(X, M)

    monkeypatch.setattr(shared, "neighbour_graph", counted)
    rows = SplitRows.of(prepared.X, prepared.fit_mask)  # type: ignore[attr-defined]

    def graphs_built(clustering: ClusteringConfig) -> list[int]:
        # As in a fresh worker: the first job makes the structures its later jobs reuse.
        computed.clear()
        monkeypatch.setattr(parallel, "_worker_shared", None)
        for name in ("kmeans", "agglomerative"):
            result = parallel._run_in_worker(name, rows, config.seed, 1, clustering, None)
            assert not isinstance(result, Exception)
        return list(computed)

    # Both search and judge the same rows: one graph, built by the first method.
    assert graphs_built(config.clustering) == [len(rows.fit)]
    # With more customers than the samples, the search and the judging of every customer
    # sample the same seeded rows: still one graph.
    assert len(rows.fit) > 150
    sampled = {"search_max_rows": 150, "validity_sample_size": 150}
    assert graphs_built(config.clustering.model_copy(update=sampled)) == [150]


@pytest.fixture
def micro_clusters_made(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Each set of micro-clusters made from now on: its rows and number asked for."""
    from segmentkit.methods import agglomerative

    made: list[tuple[int, int]] = []
    original = agglomerative._micro_clusters

    def counted(X: np.ndarray, n_clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        made.append((len(X), n_clusters))
        return original(X, n_clusters, seed)

    monkeypatch.setattr(agglomerative, "_micro_clusters", counted)
    return made


def test_agglomerative_and_genie_grow_from_the_same_micro_clusters_once(
    micro_clusters_made: list[tuple[int, int]],
) -> None:
    from segmentkit.methods import METHODS as SPECS
    from segmentkit.methods import run_method
    from segmentkit.pipeline import search_context

    config = Config().with_overrides(
        {
            "clustering.methods": ["agglomerative", "genie"],
            "clustering.k_max": 5,
            "clustering.stability.n_resamples": 0,
            # Above 500 rows both grow their trees from micro-clusters.
            "clustering.agglomerative.max_rows": 500,
            "clustering.genie.max_rows": 500,
            "clustering.agglomerative.micro_clusters": 60,
            "clustering.genie.micro_clusters": 60,
        }
    )
    prepared = prepare(make_customers(3_000, n_segments=4, seed=4).frame, config)
    context = search_context(prepared, config, 1)
    shared = {
        name: run_method(SPECS[name], prepared.X, context, fit_mask=prepared.fit_mask)
        for name in ("agglomerative", "genie")
    }
    # Once, for both methods.
    assert [rows for rows, _ in micro_clusters_made] == [int(prepared.fit_mask.sum())]
    # Each alone, with its own structures, segments alike.
    for name in ("agglomerative", "genie"):
        alone = run_method(
            SPECS[name], prepared.X, search_context(prepared, config, 1), fit_mask=prepared.fit_mask
        )
        np.testing.assert_array_equal(alone.labels, shared[name].labels)
    assert len(micro_clusters_made) == 3


def test_every_method_has_its_place_in_the_start_order() -> None:
    from segmentkit.methods import METHODS as SPECS
    from segmentkit.methods.parallel import START_ORDER, start_order

    assert sorted(START_ORDER) == sorted(SPECS)
    # Genie after Agglomerative, whose micro-clusters it reuses.
    assert start_order(["genie", "kmeans", "agglomerative"]) == ["agglomerative", "kmeans", "genie"]


def test_micro_clusters_one_worker_made_are_read_by_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, micro_clusters_made: list[tuple[int, int]]
) -> None:
    from segmentkit.methods import agglomerative
    from segmentkit.methods.search import SearchContext
    from segmentkit.selection.shared import SharedStructures

    X = np.random.default_rng(0).normal(size=(2_000, 3))
    context = Config().clustering
    # Two workers of one run: each its own structures, one run folder.
    monkeypatch.setattr(workers_module, "_run_folder", tmp_path)
    first, second = (
        SearchContext(seed=3, n_jobs=1, clustering=context, shared=SharedStructures())
        for _ in range(2)
    )
    centres, members = agglomerative.micro_clusters(X, 50, first)
    again = agglomerative.micro_clusters(X.copy(), 50, second)
    assert [n for _, n in micro_clusters_made] == [50]
    np.testing.assert_array_equal(again[0], centres)
    np.testing.assert_array_equal(again[1], members)
    assert not again[1].flags.writeable
    # Other settings or rows are made anew.
    agglomerative.micro_clusters(X, 60, second)
    agglomerative.micro_clusters(X[:1_000], 50, second)
    assert [n for _, n in micro_clusters_made] == [50, 60, 50]
    assert not list(tmp_path.glob("*.partial"))
