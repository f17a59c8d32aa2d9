"""The four methods recover planted segments, choose honestly, and report what they did."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from segmentkit.config import Config
from segmentkit.datasets import make_customers
from segmentkit.methods import (
    METHODS,
    MethodResult,
    SearchContext,
    SplitRows,
    run_method,
    run_split,
)
from segmentkit.methods.dbscan import CorePointAssigner, k_distances, search_dbscan
from segmentkit.pipeline import run_segmentation
from segmentkit.prepare.transformer import prepare
from segmentkit.selection.criteria import cluster_metrics
from segmentkit.selection.method_choice import recommend_method


def _context(**overrides: object) -> SearchContext:
    config = Config().with_overrides({"clustering.stability.n_resamples": 3, **overrides})
    return SearchContext(seed=0, n_jobs=None, clustering=config.clustering)


def _blobs(k: int, seed: int, n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_blobs(
        n_samples=n,
        centers=k,
        n_features=3,
        cluster_std=0.6,
        center_box=(-12, 12),
        random_state=seed,
    )
    return X, y


def _well_separated(X: np.ndarray, y: np.ndarray) -> bool:
    # Skip draws where two centres landed on top of each other: no method can split them.
    centres = np.array([X[y == c].mean(axis=0) for c in np.unique(y)])
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
    return bool(gaps[np.triu_indices(len(centres), 1)].min() > 4.0)


@pytest.mark.parametrize("method", ["kmeans", "agglomerative", "gmm"])
@pytest.mark.parametrize(("k", "seed"), [(3, 1), (4, 2), (5, 3), (6, 0), (7, 2), (8, 4), (8, 1)])
def test_recovers_planted_blobs(method: str, k: int, seed: int) -> None:
    X, y = _blobs(k, seed)
    assert _well_separated(X, y)
    context = _context(
        **({"clustering.gmm.covariance_types": ["full", "spherical"]} if method == "gmm" else {})
    )
    result = run_method(METHODS[method], X, context)
    assert result.params["k"] == k
    assert adjusted_rand_score(y, result.labels) >= 0.9


@pytest.mark.parametrize(("k", "seed"), [(3, 1), (4, 2), (5, 3)])
def test_dbscan_recovers_planted_blobs(k: int, seed: int) -> None:
    X, y = _blobs(k, seed)
    result = run_method(METHODS["dbscan"], X, _context())
    assert result.n_segments == k
    clustered = result.labels >= 0
    assert result.metrics.noise_share < 0.1
    assert adjusted_rand_score(y[clustered], result.labels[clustered]) >= 0.9


@pytest.mark.parametrize("seed", [0, 1])
def test_make_customers_planted_segments_recovered(seed: int) -> None:
    data = make_customers(1500, n_segments=4, seed=seed, missing_rate=0.0, outlier_rate=0.0)
    config = Config().with_overrides(
        {
            "seed": seed,
            "clustering.methods": ["kmeans", "agglomerative"],
            "clustering.stability.n_resamples": 2,
            "cleaning.outliers.policy": "keep",
        }
    )
    run = run_segmentation(data.frame, config)
    for method in ("kmeans", "agglomerative"):
        assert run.results[method].params["k"] == 4
        assert adjusted_rand_score(data.labels, run.results[method].labels) >= 0.9


def test_k_selection_table_has_every_criterion() -> None:
    X, _ = _blobs(4, 2)
    result = run_method(METHODS["kmeans"], X, _context())
    table = result.criteria
    assert table["k"].tolist() == list(range(2, 11))
    assert {"inertia", "silhouette", "calinski_harabasz", "davies_bouldin", "chosen"} <= set(table)
    assert table["chosen"].sum() == 1
    assert table.loc[table["chosen"], "k"].item() == 4
    assert table["inertia"].is_monotonic_decreasing


def test_gmm_records_bic_aic_and_chooses_lowest_bic() -> None:
    X, _ = _blobs(3, 1, n=300)
    result = run_method(METHODS["gmm"], X, _context())
    table = result.criteria
    assert {"bic", "aic", "covariance_type", "silhouette"} <= set(table)
    assert len(table) == 9 * 4
    best = table.loc[table["bic"].idxmin()]
    assert result.params == {"k": int(best["k"]), "covariance_type": best["covariance_type"]}


@pytest.mark.parametrize("search_n_init", [1, 2])
def test_gmm_candidates_use_search_n_init_and_the_chosen_mixture_n_init(
    monkeypatch: pytest.MonkeyPatch, search_n_init: int
) -> None:
    from sklearn.mixture import GaussianMixture

    starts: list[int] = []
    fit = GaussianMixture.fit

    def counting_fit(self: GaussianMixture, X: np.ndarray, y: object = None) -> GaussianMixture:
        starts.append(self.n_init)
        return fit(self, X)

    monkeypatch.setattr(GaussianMixture, "fit", counting_fit)
    X, y = _blobs(3, 1, n=300)
    context = _context(**{"clustering.gmm.search_n_init": search_n_init})
    result = run_method(METHODS["gmm"], X, context)
    candidates = len(result.criteria)
    # The candidates, then the chosen mixture and its three stability refits.
    assert starts == [search_n_init] * candidates + [3] * 4
    assert result.params["k"] == 3
    assert adjusted_rand_score(y, result.labels) > 0.99


def test_gmm_confidence_is_a_probability(tmp_path) -> None:
    X, _ = _blobs(3, 1, n=300)
    result = run_method(METHODS["gmm"], X, _context())
    probabilities = result.assigner.estimator.predict_proba(X).max(axis=1)
    assert np.all((probabilities > 0.3) & (probabilities <= 1.0))
    assert np.median(probabilities) > 0.95


def test_dbscan_eps_from_knee_and_curve_recorded() -> None:
    X, _ = _blobs(3, 1)
    search = search_dbscan(X, _context())
    curve = np.asarray(search.curves["k_distance"])
    assert np.all(np.diff(curve) >= 0)
    assert search.params["min_samples"] == 6  # 2 x 3 features
    assert search.params["eps"] == pytest.approx(search.curves["k_distance_knee"])
    assert search.criteria["eps_source"].iloc[0] == "knee"


def test_dbscan_degenerate_knee_moves_to_next_candidate() -> None:
    # A fixed eps far too small leaves everyone as noise: stated, never reported as 0.
    X, _ = _blobs(3, 1)
    result = run_method(METHODS["dbscan"], X, _context(**{"clustering.dbscan.eps": 1e-4}))
    assert result.metrics.silhouette is None
    assert result.metrics.reason == "all rows are noise"
    assert "degenerate" in result.choice_summary or not result.criteria_agree


def test_core_point_assigner_uses_eps() -> None:
    assigner = CorePointAssigner(np.array([[0.0, 0.0], [10.0, 10.0]]), np.array([0, 1]), eps=1.0)
    labels = assigner.predict(np.array([[0.5, 0.0], [9.5, 10.0], [5.0, 5.0]]))
    assert labels.tolist() == [0, 1, -1]


def test_k_distances_match_a_hand_computation() -> None:
    X = np.array([[0.0], [1.0], [3.0], [6.0]])
    # 2nd neighbour including itself: nearest other point.
    assert k_distances(X, 2).tolist() == [1.0, 1.0, 2.0, 3.0]


def test_metrics_missing_not_zero() -> None:
    metrics = cluster_metrics(np.random.default_rng(0).normal(size=(50, 2)), np.full(50, -1))
    assert metrics.silhouette is None and metrics.calinski_harabasz is None
    assert metrics.reason == "all rows are noise"


def test_stability_flags_a_segment_that_does_not_survive() -> None:
    X, _ = _blobs(3, 1)
    stable = run_method(METHODS["kmeans"], X, _context(**{"clustering.k": 3}))
    assert stable.stability.mean_ari > 0.95
    assert stable.stability.unstable_segments == ()
    rng = np.random.default_rng(0)
    noise = rng.uniform(-1, 1, size=(400, 2))
    shaky = run_method(METHODS["kmeans"], noise, _context(**{"clustering.k": 7}))
    assert shaky.stability.mean_ari < stable.stability.mean_ari
    assert min(shaky.stability.segment_jaccard.values()) < 0.9


def test_recommendation_prefers_the_better_method() -> None:
    X, _ = _blobs(4, 2)
    context = _context()
    results = {name: run_method(METHODS[name], X, context) for name in ("kmeans", "dbscan")}
    bad = run_method(METHODS["kmeans"], X, _context(**{"clustering.k": 9}))
    recommendation = recommend_method({"kmeans": results["kmeans"], "other": bad})
    assert recommendation.method == "kmeans" and recommendation.stable
    assert "near-neighbour separation" in recommendation.reason
    assert results["kmeans"].metrics.nn_separation > bad.metrics.nn_separation


def test_stability_is_a_gate_not_a_tiebreak() -> None:
    X, _ = _blobs(4, 2)
    good = run_method(METHODS["kmeans"], X, _context())
    noise = np.random.default_rng(0).uniform(-1, 1, size=(400, 2))
    shaky = run_method(METHODS["kmeans"], noise, _context(**{"clustering.k": 7}))
    # Make the unstable one the better separated: the gate must still keep it out.
    flattering = dataclasses.replace(
        shaky, metrics=dataclasses.replace(shaky.metrics, nn_separation=math.inf)
    )
    gate = (good.stability.mean_ari + shaky.stability.mean_ari) / 2
    assert good.stability.mean_ari > gate > shaky.stability.mean_ari
    recommendation = recommend_method({"shaky": flattering, "good": good}, min_stability=gate)
    assert recommendation.method == "good"
    assert "not recommended, as unstable (stability below" in recommendation.reason
    assert recommendation.reason.endswith(f"): shaky ({shaky.stability.mean_ari:.2f})")
    # When nothing is stable the run says so and shows the most stable one.
    alone = recommend_method({"shaky": flattering, "also": shaky}, min_stability=gate)
    assert not alone.stable
    assert alone.reason.startswith("no stable segmentation was found")


def test_outliers_never_form_or_shape_a_segment() -> None:
    X, _ = _blobs(3, 1)
    far = np.array([[60.0, 60.0, 60.0], [61.0, 60.0, 60.0], [60.0, 61.0, 61.0]])
    X_all = np.vstack([X, far])
    fit_mask = np.r_[np.ones(len(X), dtype=bool), np.zeros(3, dtype=bool)]
    for name in ("kmeans", "agglomerative", "genie"):
        result = run_method(METHODS[name], X_all, _context(), fit_mask=fit_mask)
        inside = run_method(METHODS[name], X, _context())
        # Chosen and fitted on the same rows, with or without the far customers present.
        assert result.params == inside.params
        assert adjusted_rand_score(result.labels[: len(X)], inside.labels) == 1.0
        # The far customers join existing segments instead of making their own.
        assert set(result.labels[len(X) :]) <= set(inside.labels)
        assert result.metrics.n_segments == inside.metrics.n_segments == 3


@pytest.mark.parametrize(("k", "seed"), [(3, 1), (5, 3), (7, 2)])
def test_genie_recovers_planted_blobs_for_any_seed(k: int, seed: int) -> None:
    X, y = _blobs(k, seed)
    chosen = set()
    for run_seed in (0, 1, 2):
        context = SearchContext(
            seed=run_seed,
            n_jobs=None,
            clustering=Config().with_overrides({"clustering.stability.n_resamples": 2}).clustering,
        )
        result = run_method(METHODS["genie"], X, context)
        chosen.add(result.params["k"])
        assert adjusted_rand_score(y, result.labels) > 0.99
    assert chosen == {k}


def test_genie_finds_shapes_kmeans_cuts_across() -> None:
    from sklearn.datasets import make_moons

    X, y = make_moons(600, noise=0.05, random_state=0)
    genie = run_method(METHODS["genie"], X, _context())
    kmeans = run_method(METHODS["kmeans"], X, _context(**{"clustering.k": 2}))
    assert genie.params["k"] == 2
    assert adjusted_rand_score(y, genie.labels) > 0.99
    assert adjusted_rand_score(y, kmeans.labels) < 0.6
    recommendation = recommend_method({"kmeans": kmeans, "genie": genie})
    assert recommendation.method == "genie"


def test_genie_micro_clusters_above_max_rows() -> None:
    X, _ = _blobs(4, 2, n=3_000)
    exact = run_method(METHODS["genie"], X, _context(**{"clustering.stability.n_resamples": 0}))
    micro = run_method(
        METHODS["genie"],
        X,
        _context(**{"clustering.stability.n_resamples": 0, "clustering.genie.max_rows": 1_000}),
    )
    assert any("micro-clusters" in note for note in micro.notes)
    assert exact.params["k"] == micro.params["k"] == 4
    assert adjusted_rand_score(exact.labels, micro.labels) > 0.99
    # New customers go where the fitted ones are.
    assert (micro.assigner.predict(X[:500]) == micro.labels[:500]).mean() > 0.99


def _single_column() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(0, 1, 150), rng.normal(8, 1, 150), rng.normal(16, 1, 150)]
    return x[:, None], np.repeat([0, 1, 2], 150)


@pytest.mark.parametrize("method", [name for name in METHODS if name != "genie"])
def test_every_method_segments_a_single_column(method: str) -> None:
    # One numeric column is a common first try (spend alone).
    X, y = _single_column()
    labels = run_method(METHODS[method], X, _context()).labels
    table = pd.crosstab(labels, y)
    segments = table.drop(index=-1, errors="ignore")
    # Every segment is one planted group (DBSCAN may cut a group's thin tails apart).
    assert (segments.max(axis=1) >= 0.95 * segments.sum(axis=1)).all()
    assert (labels == -1).mean() < 0.1
    if method in ("kmeans", "agglomerative", "gmm"):
        assert adjusted_rand_score(y, labels) > 0.95


def test_genie_on_a_single_column_cuts_between_the_groups() -> None:
    # genieclust's spanning tree refused one column ("X is ill-shaped"), which stopped the
    # whole run. Genie chooses k = 2 here by its near-neighbour separation (at k = 3 two
    # tail customers sit with the next group), but no planted group is split.
    X, y = _single_column()
    labels = run_method(METHODS["genie"], X, _context()).labels
    table = pd.crosstab(y, labels)
    assert len(np.unique(labels)) >= 2
    assert (table.max(axis=1) >= 0.98 * 150).all()


def test_search_widens_past_k_max_when_the_best_k_is_at_the_edge() -> None:
    X, y = _blobs(8, 4, n=2_000)
    context = _context(**{"clustering.k_max": 5, "clustering.stability.n_resamples": 0})
    result = run_method(METHODS["genie"], X, context)
    assert result.params["k"] == 8
    assert any("widened" in note for note in result.notes)
    assert adjusted_rand_score(y, result.labels) > 0.99


def test_all_methods_in_pipeline_and_labels_aligned() -> None:
    data = make_customers(400, n_segments=3, seed=2)
    config = Config().with_overrides({"clustering.stability.n_resamples": 2, "clustering.k_max": 6})
    run = run_segmentation(data.frame, config)
    assert list(run.results) == ["kmeans", "agglomerative", "gmm", "dbscan", "genie"]
    for result in run.results.values():
        assert len(result.labels) == len(data.frame)
    assert run.recommended in run.results


def test_mall_customers_published_result(mall_frame: pd.DataFrame) -> None:
    config = Config().with_overrides(
        {"input.features": ["Annual Income (k$)", "Spending Score (1-100)"]}
    )
    run = run_segmentation(mall_frame, config)
    kmeans, agglomerative = run.results["kmeans"], run.results["agglomerative"]
    assert kmeans.params["k"] == 5 and agglomerative.params["k"] == 5
    assert sorted(np.bincount(kmeans.labels).tolist()) == [22, 23, 35, 39, 81]
    assert run.results["dbscan"].metrics.noise_share < 0.15
    gmm = run.results["gmm"]
    # GMM either chooses 5 components or says which criterion preferred what.
    assert gmm.params["k"] == 5 or "BIC" in gmm.choice_summary
    assert run.recommended == "kmeans"


def test_sampled_paths_still_segment_every_customer() -> None:
    # Tiny limits force the large-data paths: tree, DBSCAN and GMM search on a sample.
    data = make_customers(600, n_segments=3, seed=2)
    config = Config().with_overrides(
        {
            "clustering.stability.n_resamples": 2,
            "clustering.k_max": 5,
            "clustering.agglomerative.max_rows": 200,
            "clustering.dbscan.max_rows": 200,
            "clustering.gmm.search_max_rows": 200,
        }
    )
    run = run_segmentation(data.frame, config)
    for method in ("dbscan", "gmm"):
        assert any("seeded sample of 200" in note for note in run.results[method].notes)
    assert any("micro-clusters" in note for note in run.results["agglomerative"].notes)
    for method in ("agglomerative", "gmm"):
        result = run.results[method]
        assert len(result.labels) == 600 and result.params["k"] == 3
        assert adjusted_rand_score(data.labels, result.labels) >= 0.9


def test_kmeans_large_data_path_matches_the_exact_one() -> None:
    # 6,000 rows with kmeans.max_rows = 1,000: k is chosen on a seeded sample and the
    # final fit starts from the sample's centres; it must find the same segmentation.
    X, truth = make_blobs(n_samples=6_000, centers=5, n_features=6, cluster_std=1.5, random_state=3)
    exact = run_method(METHODS["kmeans"], X, _context(**{"clustering.search_max_rows": 10_000}))
    sampled = run_method(METHODS["kmeans"], X, _context(**{"clustering.kmeans.max_rows": 1_000}))
    assert sampled.params["k"] == exact.params["k"] == 5
    assert adjusted_rand_score(exact.labels, sampled.labels) >= 0.95
    assert adjusted_rand_score(truth, sampled.labels) >= 0.95
    assert any("seeded sample of 1,000 of 6,000" in note for note in sampled.notes)
    assert not exact.notes


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    ("method", "limit"),
    [("dbscan", "clustering.dbscan.max_rows"), ("gmm", "clustering.gmm.max_rows")],
)
def test_sampled_dbscan_and_gmm_match_the_exact_fit(method: str, limit: str, seed: int) -> None:
    # 6,000 rows, fitted on a seeded sample of 1,000 and applied to all (issue 8: same
    # segments, ARI >= 0.95 against fitting on every row).
    X, _ = make_blobs(n_samples=6_000, centers=4, n_features=5, random_state=seed)
    overrides = {"clustering.stability.n_resamples": 0}
    exact = run_method(METHODS[method], X, _context(**overrides))
    sampled = run_method(METHODS[method], X, _context(**overrides, **{limit: 1_000}))
    assert sampled.metrics.n_segments == exact.metrics.n_segments
    assert adjusted_rand_score(exact.labels, sampled.labels) >= 0.95
    assert any("seeded sample of 1,000" in note for note in sampled.notes)
    assert not any("seeded sample of 1,000" in note for note in exact.notes)


def test_agglomerative_tree_shrinks_to_the_memory_available(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from segmentkit.methods import agglomerative

    # 64 MiB free: a tree of 4,000 rows needs 8 × 4,000² B = 122 MiB at its peak.
    monkeypatch.setattr(agglomerative, "available_memory", lambda: 64 * 2**20)
    X, _ = _blobs(3, seed=1, n=4_000)
    with caplog.at_level(logging.WARNING, logger="segmentkit.methods.agglomerative"):
        result = run_method(METHODS["agglomerative"], X, _context())
    assert agglomerative.tree_row_limit(20_000, 64 * 2**20) == 2_048
    assert any("an exact tree fits 2048 rows" in r.getMessage() for r in caplog.records)
    assert any("micro-clusters" in note for note in result.notes)
    assert result.params["k"] == 3
    assert len(result.labels) == 4_000


def test_agglomerative_micro_clusters_match_the_exact_tree() -> None:
    # Planted segments, 3,000 customers: the exact Ward tree against the tree grown from
    # weighted micro-clusters (max_rows = 600 forces it). Same k, ARI >= 0.95 (issue 8).
    data = make_customers(3_000, n_segments=4, seed=5)
    prepared = prepare(data.frame, Config())
    X = prepared.X

    def run(**overrides: Any) -> MethodResult:
        return run_method(
            METHODS["agglomerative"],
            X,
            _context(**{"clustering.stability.n_resamples": 0, **overrides}),
            fit_mask=prepared.fit_mask,
        )

    exact = run()
    micro = run(**{"clustering.agglomerative.max_rows": 600})
    assert not exact.notes
    assert any("K-Means micro-clusters of the" in note for note in micro.notes)
    assert micro.params["k"] == exact.params["k"] == 4
    assert adjusted_rand_score(exact.labels, micro.labels) >= 0.95
    assert adjusted_rand_score(data.labels[prepared.kept_rows], micro.labels) >= 0.9
    # Training customers and new ones go through the same nearest micro-cluster rule.
    assert np.array_equal(micro.assigner.predict(X), micro.labels)
    # k chosen on a seeded sample, as for K-Means: the same k, the same segments.
    sampled = run(
        **{
            "clustering.agglomerative.max_rows": 600,
            "clustering.agglomerative.search_max_rows": 1_000,
        }
    )
    assert any("k chosen on a seeded sample of 1,000 of" in note for note in sampled.notes)
    assert sampled.params["k"] == 4
    assert adjusted_rand_score(micro.labels, sampled.labels) == pytest.approx(1.0)


def test_a_stable_finer_segmentation_inside_the_best_separated_one_is_preferred() -> None:
    # Two groups of three segments each: the coarse split is the best separated, the six
    # segments are the structure seen closer.
    centres = [[0, 0], [0, 4], [4, 0], [40, 40], [40, 44], [44, 40]]
    X, y = make_blobs(900, centers=centres, cluster_std=0.5, random_state=0)
    coarse = run_method(METHODS["kmeans"], X, _context(**{"clustering.k": 2}))
    fine = run_method(METHODS["agglomerative"], X, _context(**{"clustering.k": 6}))
    assert adjusted_rand_score(y, fine.labels) == 1.0

    def separated(result: MethodResult, value: float) -> MethodResult:
        return dataclasses.replace(
            result, metrics=dataclasses.replace(result.metrics, nn_separation=value)
        )

    recommendation = recommend_method(
        {"kmeans": separated(coarse, 1.0), "agglomerative": separated(fine, 0.3)}
    )
    assert recommendation.method == "agglomerative"
    assert "lie inside kmeans's 2" in recommendation.reason
    # Not when the finer one keeps too little of the separation ...
    weak = {"kmeans": separated(coarse, 1.0), "agglomerative": separated(fine, 0.1)}
    assert recommend_method(weak).method == "kmeans"
    # ... nor when it cuts across the coarse segments.
    across = dataclasses.replace(separated(fine, 0.3), labels=np.roll(fine.labels, 450))
    assert recommend_method({"kmeans": separated(coarse, 1.0), "agglomerative": across}).method == (
        "kmeans"
    )
    # Stable as a whole with shaky segments: the reason says both, and what to use instead.
    assert fine.stability is not None
    shaky_fine = dataclasses.replace(
        separated(fine, 0.3),
        stability=dataclasses.replace(fine.stability, unstable_segments=(4, 5)),
    )
    shaky = recommend_method({"kmeans": separated(coarse, 1.0), "agglomerative": shaky_fine})
    assert shaky.method == "agglomerative"
    assert "they are stable as a whole (" in shaky.reason
    assert shaky.reason.endswith(
        "but segments 4, 5 do not survive resampling: treat them as provisional, or use "
        "kmeans's 2 (segments.csv column segment_kmeans)"
    )
    assert "as a whole" not in recommendation.reason


def test_split_rows_copy_nothing_when_every_row_shapes_the_segments() -> None:
    X = np.arange(12.0).reshape(6, 2)
    whole = SplitRows.of(X)
    # At 10,000,000 customers a copy is 1.3 GB in each worker: none is made.
    assert whole.fit is X and whole.other.shape == (0, 2) and whole.mask.all()
    mask = np.array([True, False, True, True, False, True])
    split = SplitRows.of(X, mask)
    np.testing.assert_array_equal(split.fit, X[mask])
    np.testing.assert_array_equal(split.other, X[~mask])
    # Split or whole, a method places every row in the order of X.
    result = run_split(METHODS["kmeans"], split, _context(**{"clustering.k": 2}))
    assert len(result.labels) == len(X)


@pytest.mark.parametrize("tail", [0, 1, 7, 123])
def test_a_mixture_places_many_rows_chunk_by_chunk_with_the_same_numbers(tail: int) -> None:
    from sklearn.mixture import GaussianMixture

    from segmentkit.methods.gmm import _CHUNK_ROWS, ColumnSubsetMixture

    rng = np.random.default_rng(tail)
    # 17 columns, as the bench's model matrix; the last chunk overlaps the one before.
    X = rng.normal(size=(2 * _CHUNK_ROWS + tail, 17))
    columns = tuple(range(0, 17, 2))
    mixture = GaussianMixture(5, random_state=0, max_iter=5).fit(X[:3_000, list(columns)])
    model = ColumnSubsetMixture(mixture, columns)
    whole = X[:, list(columns)]
    # Bit for bit: confidence_gmm is written with every digit.
    np.testing.assert_array_equal(model.predict_proba(X), mixture.predict_proba(whole))
    np.testing.assert_array_equal(model.predict(X), mixture.predict(whole))
    confidence = mixture.predict_proba(whole).max(axis=1)
    np.testing.assert_array_equal(model.confidence(X), confidence)
    # Chunks side by side on threads, each on one BLAS thread: the same numbers.
    np.testing.assert_array_equal(model.confidence(X, threads=2), confidence)
    np.testing.assert_array_equal(model.confidence(X, threads=3), confidence)
    few = mixture.predict_proba(whole[:tail]).max(axis=1) if tail else np.zeros(0)
    np.testing.assert_array_equal(model.confidence(X[:tail]), few)  # in one piece


@pytest.mark.parametrize("seed", range(20))
def test_distinct_segments_equal_numpy_unique(seed: int) -> None:
    """Counting gives numpy's sorted distinct values and dtype (noise, outliers, gaps)."""
    from segmentkit.describe.segment_counts import distinct_segments

    rng = np.random.default_rng(seed)
    dtype = [np.int64, np.int32, np.intp, np.int8][seed % 4]
    labels = rng.choice([-2, -1, 0, 1, 3, 7, 40], size=int(rng.integers(0, 50))).astype(dtype)
    got, expected = distinct_segments(labels), np.unique(labels)
    assert got.dtype == expected.dtype and got.tolist() == expected.tolist()
    wide = np.array([0, 1 << 20, 5], dtype=np.int64)  # too wide to count: sorted
    assert distinct_segments(wide).tolist() == [0, 5, 1 << 20]
    small = np.array([-128, 127, 0], dtype=np.int8)  # the span overflows int8
    assert distinct_segments(small).tolist() == [-128, 0, 127]


def test_nested_share_equals_the_crosstab_it_replaced() -> None:
    """Counts of pairs give pandas' crosstab share on random labellings (noise, gaps)."""
    from segmentkit.selection.method_choice import nested_share

    def crosstab_share(fine: np.ndarray, coarse: np.ndarray) -> float:
        table = pd.crosstab(fine, coarse)
        total = table.to_numpy().sum()
        table = table.drop(columns=[-1], errors="ignore")
        return 0.0 if table.empty else float(table.max(axis=1).sum() / total)

    rng = np.random.default_rng(0)
    for _ in range(500):
        n_rows = int(rng.integers(1, 60))
        fine = rng.integers(-1, int(rng.integers(1, 8)), n_rows) + int(rng.integers(0, 3))
        coarse = rng.integers(-1, int(rng.integers(0, 8)), n_rows)
        if rng.random() < 0.2:
            coarse[:] = -1
        assert nested_share(fine, coarse) == crosstab_share(fine, coarse)
    # Numbers below noise (profile groups) are segments of their own to the crosstab.
    for fine, coarse in (([-1], [-2]), ([0, 1, 1], [-2, -1, -2])):
        assert nested_share(np.array(fine), np.array(coarse)) == crosstab_share(
            np.array(fine), np.array(coarse)
        )
