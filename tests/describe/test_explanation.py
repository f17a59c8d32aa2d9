"""Every segmentation explained side by side in workers, as in the run's process."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans

from segmentkit import workers as workers_module
from segmentkit.config import Config
from segmentkit.datasets import make_customers
from segmentkit.describe.explanation import Explainer, ExplainInputs, explain_all
from segmentkit.prepare.transformer import PreparedData, prepare
from segmentkit.workers import RunWorkers

CONFIG = Config().with_overrides({"explain.n_estimators": 30, "explain.n_repeats": 2})


@pytest.fixture(scope="module")
def prepared() -> PreparedData:
    return prepare(make_customers(5_000, n_segments=4, seed=4).frame, CONFIG)


def kmeans_labels(prepared: PreparedData, ks: tuple[int, ...]) -> dict[str, np.ndarray]:
    return {f"k{k}": KMeans(k, n_init=1, random_state=0).fit_predict(prepared.X) for k in ks}


def test_explained_in_workers_as_in_the_run_process(
    prepared: PreparedData, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The matrix reaches the workers as a read-only map, as a large one does.
    monkeypatch.setattr(workers_module, "SHARE_BYTES", 0)
    config = CONFIG
    labels = kmeans_labels(prepared, (3, 4, 6))
    inputs = ExplainInputs.of(prepared, config.explain, config.seed)

    def explanations_logged() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name.startswith("segmentkit.describe")]

    with caplog.at_level(logging.INFO, logger="segmentkit"):
        caplog.clear()
        here = explain_all(labels, inputs, jobs=2)
        log_here = explanations_logged()
        caplog.clear()
        with RunWorkers(2) as workers:
            apart = explain_all(labels, inputs, jobs=2, workers=workers)
        log_apart = explanations_logged()
    for name in labels:
        pd.testing.assert_frame_equal(here[0][name].table, apart[0][name].table)
        assert here[0][name].surrogate_accuracy == apart[0][name].surrogate_accuracy > 0.9
        pd.testing.assert_frame_equal(here[1][name].table(), apart[1][name].table())
        assert here[1][name].describe() == apart[1][name].describe()
        np.testing.assert_array_equal(
            here[1][name].predict(prepared.cleaned), apart[1][name].predict(prepared.cleaned)
        )
    # The workers' log lines come back in the methods' order.
    assert log_apart == log_here
    assert [m.split(":")[0] for m in log_apart if "surrogate forest" in m] == list(labels)


def test_explanations_started_early_are_those_of_the_final_segments(
    prepared: PreparedData,
) -> None:
    # A run starts each explanation as its method returns; segments renumbered since
    # (a previous run's identities) are explained again, not with the stale numbers.
    labels = kmeans_labels(prepared, (3, 4))
    inputs = ExplainInputs.of(prepared, CONFIG.explain, CONFIG.seed)
    here = explain_all(labels, inputs, jobs=2)
    renumbered = {"k3": (labels["k3"] + 1) % 3, "k4": labels["k4"]}
    with RunWorkers(2) as workers:
        explainer = Explainer(inputs, jobs=2, workers=workers)
        for name, values in labels.items():
            explainer.start(name, values)
        early = explainer.collect(labels)
        explainer = Explainer(inputs, jobs=2, workers=workers)
        for name, values in labels.items():
            explainer.start(name, values)
        late = explainer.collect(renumbered)
    for name in labels:
        pd.testing.assert_frame_equal(here[0][name].table, early[0][name].table)
        pd.testing.assert_frame_equal(here[1][name].table(), early[1][name].table())
    assert late[1]["k4"].describe() == here[1]["k4"].describe()
    np.testing.assert_array_equal(
        late[1]["k3"].predict(prepared.cleaned), (here[1]["k3"].predict(prepared.cleaned) + 1) % 3
    )
