"""Tests for describe.importance: the surrogate forest, grouped importance and fidelity."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from segmentkit.config import Config, ExplainConfig
from segmentkit.datasets import make_customers
from segmentkit.describe import importance as explain
from segmentkit.describe.importance import (
    Importance,
    correlated_groups,
    explain_segments,
    grouped_permutation_importance,
)
from segmentkit.describe.importance_words import MIN_DROP, importance_groups, importance_headline
from segmentkit.pipeline import run_segmentation
from segmentkit.prepare.transformer import prepare

COLUMNS = [
    "feature",
    "rf_importance",
    "permutation_mean",
    "permutation_std",
    "feature_group",
    "group_permutation_mean",
    "group_permutation_std",
]
SMALL = ExplainConfig(n_estimators=30)


def identity(names: list[str]) -> dict[str, str]:
    return {name: name for name in names}


def planted(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Column 0 decides the label; columns 1 and 2 are pure noise."""
    X = np.random.default_rng(seed).normal(size=(n, 3))
    return X, (X[:, 0] > 0).astype(int)


def explain_planted(
    X: np.ndarray, labels: np.ndarray, config: ExplainConfig = SMALL, seed: int = 0
) -> Importance:
    return explain_segments(
        X,
        labels,
        method="kmeans",
        feature_names=["a", "b", "c"],
        feature_origin=identity(["a", "b", "c"]),
        config=config,
        seed=seed,
    )


def one_hot_region(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Column "a" is noise; three one-hot "region" columns decide the label."""
    rng = np.random.default_rng(seed)
    region = rng.integers(0, 3, size=n)
    X = np.column_stack([rng.normal(size=n), np.eye(3)[region]])
    return X, region


# --------------------------------------------------------------------------- planted signal


def test_planted_signal_ranks_the_deciding_column_first() -> None:
    X, labels = planted()
    result = explain_planted(X, labels)
    table = result.table
    assert result.method == "kmeans"
    assert list(table.columns) == COLUMNS
    assert sorted(table["feature"]) == ["a", "b", "c"]
    assert table["feature"].iloc[0] == "a"
    assert table.sort_values("rf_importance", ascending=False)["feature"].iloc[0] == "a"
    assert result.top_features(1) == ["a"]
    drop = dict(zip(table["feature"], table["permutation_mean"], strict=True))
    # Shuffling the deciding column leaves a coin toss: a drop of about 0.5.
    assert drop["a"] > 0.35
    for noise in ("b", "c"):
        assert abs(drop[noise]) < 0.02
    assert result.surrogate_accuracy is not None
    assert result.surrogate_accuracy >= 0.95
    assert table["rf_importance"].sum() == pytest.approx(1.0)
    assert (table["permutation_std"] >= 0).all()
    assert result.n_train == 450 and result.n_test == 150
    assert result.note == ""


def test_table_sorted_by_permutation_importance() -> None:
    X, labels = planted()
    table = explain_planted(X, labels).table
    means = table["permutation_mean"].to_numpy()
    assert np.all(np.diff(means) <= 0)
    assert list(table.index) == [0, 1, 2]


# --------------------------------------------------------------------------- one-hot groups


def test_one_hot_columns_reported_as_one_feature() -> None:
    X, labels = one_hot_region(600, seed=1)
    names = ["a", "region_N", "region_S", "region_E"]
    origin = {"a": "a", "region_N": "region", "region_S": "region", "region_E": "region"}
    config = ExplainConfig(n_estimators=30)
    result = explain_segments(
        X, labels, method="gmm", feature_names=names, feature_origin=origin, config=config, seed=3
    )
    table = result.table
    assert list(table["feature"]) == ["region", "a"]
    assert table["rf_importance"].sum() == pytest.approx(1.0)
    assert table["rf_importance"].iloc[0] > 0.8
    assert result.surrogate_accuracy == 1.0
    # Shuffling the region block together keeps only the rows whose region survives.
    assert table["permutation_mean"].iloc[0] > 0.5

    # The same forest refitted by hand: "region" is the sum of its three columns.
    X_train, _, y_train, _ = train_test_split(
        X, labels, test_size=config.test_share, random_state=3, stratify=labels
    )
    forest = RandomForestClassifier(n_estimators=30, random_state=3).fit(X_train, y_train)
    by_feature = table.set_index("feature")["rf_importance"]
    assert by_feature["region"] == pytest.approx(forest.feature_importances_[1:].sum())
    assert by_feature["a"] == pytest.approx(forest.feature_importances_[0])


def test_prepared_customers_grouped_by_original_column() -> None:
    data = make_customers(400, n_segments=4, seed=0)
    prepared = prepare(data.frame, Config())
    assert len(prepared.X) == len(data.labels)
    result = explain_segments(
        prepared.X,
        data.labels,
        method="kmeans",
        feature_names=prepared.model_feature_names,
        feature_origin=prepared.feature_origin,
        config=SMALL,
        seed=0,
    )
    features = list(result.table["feature"])
    assert len(features) == len(set(features))
    assert sorted(features) == sorted(prepared.features)
    assert len(features) < len(prepared.model_feature_names)  # one-hot columns folded
    assert result.table["rf_importance"].sum() == pytest.approx(1.0)
    assert result.surrogate_accuracy is not None and result.surrogate_accuracy >= 0.9


class RecordingModel:
    """Scores by the region in the one-hot block and checks every row it is given."""

    def __init__(self, block: np.ndarray) -> None:
        self.block = block
        self.seen: list[np.ndarray] = []

    def predict(self, X: np.ndarray) -> np.ndarray:
        one_hot = X[:, self.block]
        np.testing.assert_array_equal(one_hot.sum(axis=1), np.ones(len(X)))
        assert set(np.unique(one_hot)) <= {0.0, 1.0}
        self.seen.append(X.copy())
        return np.asarray(one_hot.argmax(axis=1))

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.predict(X) == y))


def test_group_shuffled_with_one_permutation() -> None:
    X, region = one_hot_region(50, seed=2)
    original = X.copy()
    groups = {"a": np.array([0]), "region": np.array([1, 2, 3])}
    model = RecordingModel(groups["region"])
    result = grouped_permutation_importance(model, X, region, groups, n_repeats=4, seed=11)
    np.testing.assert_array_equal(X, original)
    # Baseline, then n_repeats per group in dict order (scored in stacks of copies).
    np.testing.assert_array_equal(model.seen[0], X)
    copies = np.concatenate(model.seen[1:])
    assert len(copies) == 2 * 4 * len(X)

    # Replay the shuffles: every shuffled row is one original row across the whole group.
    rng = np.random.default_rng(11)
    expected_drops: dict[str, list[float]] = {"a": [], "region": []}
    calls = iter(np.split(copies, 2 * 4))
    for name, columns in groups.items():
        others = np.setdiff1d(np.arange(X.shape[1]), columns)
        for _ in range(4):
            order = rng.permutation(len(X))
            seen = next(calls)
            np.testing.assert_array_equal(seen[:, columns], X[order][:, columns])
            np.testing.assert_array_equal(seen[:, others], X[:, others])
            kept = np.mean(X[order][:, 1:].argmax(axis=1) == region)
            expected_drops[name].append(1.0 - kept if name == "region" else 0.0)

    assert result["a"] == (0.0, 0.0)
    mean, std = result["region"]
    assert mean == pytest.approx(np.mean(expected_drops["region"]))
    assert std == pytest.approx(np.std(expected_drops["region"]))
    # Three regions: a shuffled row keeps its region about a third of the time.
    assert 0.5 < mean < 0.8


# --------------------------------------------------------------------------- correlated groups

NO_SINGLE = "No single feature or group separates the segments on its own"
PER_FEATURE = ["feature", "rf_importance", "permutation_mean", "permutation_std"]


def explain_named(X: np.ndarray, labels: np.ndarray, names: list[str], seed: int) -> Importance:
    return explain_segments(
        X,
        labels,
        method="kmeans",
        feature_names=names,
        feature_origin=identity(names),
        config=SMALL,
        seed=seed,
    )


def test_perfect_twins_one_looks_useless_alone_the_pair_decides() -> None:
    # The demo's "frequency 0.50, monetary 0.00": two copies of the column that decides
    # the segments; the forest splits on one, so the other costs nothing when shuffled.
    rng = np.random.default_rng(0)
    a = rng.normal(size=600)
    X = np.column_stack([a, a, rng.normal(size=600)])
    result = explain_named(X, (a > 0).astype(int), ["income", "spending", "age"], seed=0)
    table = result.table.set_index("feature")
    # The problem, reproduced: one twin is worth nothing on its own.
    assert (
        min(table.loc["income", "permutation_mean"], table.loc["spending", "permutation_mean"])
        < 0.01
    )
    # Shuffled together they leave a coin toss.
    assert table.loc["income", "feature_group"] == "income + spending"
    assert table.loc["spending", "feature_group"] == "income + spending"
    group = table.loc["income", "group_permutation_mean"]
    assert group == table.loc["spending", "group_permutation_mean"]
    assert 0.4 <= group <= 0.6
    assert table.loc["age", "feature_group"] == "age"
    assert abs(table.loc["age", "group_permutation_mean"]) < 0.02
    assert result.surrogate_accuracy == 1.0
    headline = result.headline()
    members = list(result.table["feature"][:2])  # by their own drop, largest first
    assert headline == (
        f"What separates the segments most: {members[0]} and {members[1]} together (shuffling "
        f"them drops a forest that reproduces 100% of the segments to {1 - group:.0%})"
    )
    assert "age" not in headline


def five_correlated(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Five noisy measures of one trait decide the segments; "age" is noise."""
    rng = np.random.default_rng(seed)
    trait = rng.normal(size=600)
    X = np.column_stack([trait + 0.1 * rng.normal(size=600) for _ in range(5)])
    X = np.column_stack([X, rng.normal(size=600)])
    return X, (trait > 0).astype(int), ["income", "spending", "visits", "wines", "meat", "age"]


def test_five_correlated_features_each_near_zero_alone_large_together() -> None:
    # marketing_campaign's "MntFruits 0.01, NumStorePurchases 0.00, ...": each measure
    # alone is replaced by the other four, so none seems to matter.
    X, labels, names = five_correlated()
    result = explain_named(X, labels, names, seed=0)
    table = result.table.set_index("feature")
    trait = names[:5]
    assert table.loc[trait, "permutation_mean"].abs().max() < 0.005
    assert (table.loc[trait, "feature_group"] == "income + meat + spending + visits + wines").all()
    group = table.loc["income", "group_permutation_mean"]
    assert group == pytest.approx(0.5066667)
    assert table.loc[trait, "group_permutation_std"].nunique() == 1
    assert result.surrogate_accuracy == pytest.approx(0.9866667)
    # The same numbers read without the group columns say nothing separates them ...
    old_style = importance_headline(result.table[PER_FEATURE], result.surrogate_accuracy)
    assert old_style.startswith(NO_SINGLE)
    assert "reproduces 99% of the segments" in old_style
    # ... and with them, the five together, most important alone first.
    assert result.headline() == (
        "What separates the segments most: "
        + ", ".join(result.table["feature"][:4])
        + f" and {result.table['feature'][4]} together (shuffling them drops a forest that "
        "reproduces 99% of the segments to 48%)"
    )
    assert (
        list(result.table["feature"][:5]) != ["age"] and result.table["feature"].iloc[-1] == "age"
    )


def test_groups_are_contiguous_and_ranked_by_their_importance() -> None:
    X, labels, names = five_correlated(seed=2)
    result = explain_named(X, labels, names, seed=2)
    table = result.table
    order = list(dict.fromkeys(table["feature_group"]))
    assert order == ["income + meat + spending + visits + wines", "age"]
    assert np.all(np.diff(table["group_permutation_mean"].to_numpy()) <= 0)
    members = table[table["feature_group"] == order[0]]["permutation_mean"].to_numpy()
    assert np.all(np.diff(members) <= 0)
    groups = result.groups()
    assert list(groups["feature_group"]) == order
    assert groups["features"].iloc[0] == tuple(table["feature"][:5])
    assert groups["rf_importance"].sum() == pytest.approx(1.0)
    # A feature without a twin: its group numbers are its own, not measured again.
    age = table.set_index("feature").loc["age"]
    assert age["group_permutation_mean"] == age["permutation_mean"]
    assert age["group_permutation_std"] == age["permutation_std"]


def test_per_feature_numbers_unchanged_by_grouping() -> None:
    X, labels, names = five_correlated(seed=1)
    result = explain_named(X, labels, names, seed=1)
    X_train, X_test, y_train, y_test = train_test_split(
        X, labels, test_size=0.25, random_state=1, stratify=labels
    )
    forest = RandomForestClassifier(n_estimators=30, random_state=1).fit(X_train, y_train)
    alone = grouped_permutation_importance(
        forest, X_test, y_test, {n: np.array([i]) for i, n in enumerate(names)},
        n_repeats=5, seed=1,
    )  # fmt: skip
    for row in result.table.itertuples():
        assert (row.permutation_mean, row.permutation_std) == alone[row.feature]


@pytest.mark.parametrize("offset", [-0.01, 0.01])
def test_a_pair_is_grouped_exactly_when_its_spearman_rho_reaches_the_threshold(
    offset: float,
) -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=400)
    X = np.column_stack([a, a + 0.8 * rng.normal(size=400), rng.normal(size=400)])
    rho = abs(pd.DataFrame(X).corr(method="spearman").iloc[0, 1])
    assert 0.7 < rho < 0.9
    names = ["a", "b", "c"]
    groups = correlated_groups(X, names, identity(names), threshold=rho + offset, seed=0)
    assert groups == ([["a", "b"], ["c"]] if offset < 0 else [["a"], ["b"], ["c"]])


def test_complete_linkage_every_pair_reaches_the_threshold() -> None:
    # A chain: a~b and b~c are close, a and c less so; "single" linkage would join all.
    rng = np.random.default_rng(4)
    a = rng.normal(size=2000)
    b = a + 0.45 * rng.normal(size=2000)
    c = b + 0.45 * rng.normal(size=2000)
    X = np.column_stack([a, b, c])
    rho = pd.DataFrame(X).corr(method="spearman").abs().to_numpy()
    assert rho[0, 1] > 0.9 and rho[1, 2] > 0.9 and rho[0, 2] < 0.85
    groups = correlated_groups(
        X, ["a", "b", "c"], identity(["a", "b", "c"]), threshold=0.85, seed=0
    )
    assert len(groups) == 2
    for group in groups:
        positions = ["abc".index(f) for f in group]
        assert all(rho[i, j] >= 0.85 for i in positions for j in positions)


def test_one_hot_blocks_and_constant_columns_stay_alone() -> None:
    X, region = one_hot_region(300, seed=5)
    # "spend" is the region's own number: perfectly rank-correlated with the block.
    X = np.column_stack([X, region.astype(float), np.ones(300), region * 2.0])
    names = ["a", "region_N", "region_S", "region_E", "spend", "flat", "twice"]
    origin = {**identity(names), "region_N": "region", "region_S": "region", "region_E": "region"}
    groups = correlated_groups(X, names, origin, threshold=0.7, seed=0)
    assert groups == [["a"], ["region"], ["spend", "twice"], ["flat"]]


def test_correlation_measured_on_a_bounded_seeded_sample() -> None:
    rng = np.random.default_rng(6)
    a = rng.normal(size=60_000)
    X = np.column_stack([a, a + 0.3 * rng.normal(size=60_000), rng.normal(size=60_000)])
    names = ["a", "b", "c"]
    first = correlated_groups(X, names, identity(names), threshold=0.7, seed=0)
    assert first == [["a", "b"], ["c"]]
    assert correlated_groups(X, names, identity(names), threshold=0.7, seed=0) == first
    assert explain.CORRELATION_ROWS == 5_000


def test_threshold_one_groups_only_identical_rankings() -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(size=300)
    X = np.column_stack([a, np.exp(a), a + 0.01 * rng.normal(size=300)])
    names = ["a", "exp_a", "a_noisy"]
    assert correlated_groups(X, names, identity(names), threshold=1.0, seed=0) == [
        ["a", "exp_a"],
        ["a_noisy"],
    ]


# --------------------------------------------------------------------------- the headline


def hand_table(**group_means: float) -> pd.DataFrame:
    """One feature per group, its own drop a tenth of the group's."""
    names = list(group_means)
    means = list(group_means.values())
    return pd.DataFrame(
        {
            "feature": names,
            "rf_importance": [1 / len(names)] * len(names),
            "permutation_mean": [m / 10 for m in means],
            "permutation_std": [0.01] * len(names),
            "feature_group": names,
            "group_permutation_mean": means,
            "group_permutation_std": [0.01] * len(names),
        }
    )


def test_headline_names_groups_by_the_accuracy_left() -> None:
    table = hand_table(income=0.31, age=0.12, region=MIN_DROP, tenure=0.049, returns=-0.04)
    assert importance_headline(table, 0.93) == (
        "What separates the segments most: income (shuffling it drops a forest that "
        "reproduces 93% of the segments to 62%), then age (to 81%), then region (to 88%)"
    )
    # At most three groups are named.
    assert importance_headline(hand_table(a=0.4, b=0.3, c=0.2, d=0.1), 1.0).count("then") == 2


def test_negative_or_negligible_importance_is_never_headlined() -> None:
    table = hand_table(returns=-0.04, tenure=MIN_DROP - 0.001, age=-0.2)
    headline = importance_headline(table, 0.9)
    assert headline == (
        f"{NO_SINGLE}: they differ on many features at once (see each segment's drivers; "
        "a forest given every feature reproduces 90% of the segments)"
    )
    for feature in ("returns", "tenure", "age", "-"):
        assert feature not in headline
    # A real explanation with a negative importance (noise) leaves it out too.
    X, labels, names = five_correlated()
    result = explain_named(X, labels, names, seed=0)
    assert result.table.set_index("feature").loc["wines", "permutation_mean"] < 0
    groups = importance_groups(result.table)
    assert groups["permutation_mean"].iloc[-1] < MIN_DROP
    assert "age" not in result.headline()


def test_headline_without_explanation_is_empty() -> None:
    assert importance_headline(hand_table(a=0.3), None) == ""
    assert explain_planted(*planted(), seed=0).headline().startswith("What separates")
    empty = explain_planted(np.zeros((10, 3)), np.zeros(10, dtype=int))
    assert empty.headline() == ""
    assert list(empty.groups().columns) == [
        "feature_group", "features", "permutation_mean", "permutation_std", "rf_importance"
    ]  # fmt: skip


def test_headline_reads_tables_written_before_groups() -> None:
    table = hand_table(income=0.61, age=0.3)[PER_FEATURE]
    # Without group columns each feature stands alone, with its own drop: income's
    # 0.061 is named, age's 0.03 is not.
    assert importance_headline(table, 0.93) == (
        "What separates the segments most: income (shuffling it drops a forest that "
        "reproduces 93% of the segments to 87%)"
    )


def test_long_groups_are_shortened_in_the_headline() -> None:
    names = [f"f{i}" for i in range(7)]
    table = pd.DataFrame(
        {
            "feature": names,
            "rf_importance": 1 / 7,
            "permutation_mean": 0.0,
            "permutation_std": 0.0,
            "feature_group": " + ".join(names),
            "group_permutation_mean": 0.4,
            "group_permutation_std": 0.01,
        }
    )
    assert importance_headline(table, 1.0) == (
        "What separates the segments most: f0, f1, f2, f3 and 3 more together (shuffling "
        "them drops a forest that reproduces 100% of the segments to 60%)"
    )


# --------------------------------------------------------------------------- noise and split


@pytest.mark.parametrize("test_share", [0.25, 0.4])
def test_noise_rows_excluded_and_split_follows_test_share(test_share: float) -> None:
    X, labels = planted()
    labels = labels.copy()
    labels[::6] = -1  # 100 noise rows
    # The forest rejects infinity, so any noise row reaching it would raise.
    X = X.copy()
    X[labels == -1] = np.inf
    n_clustered = int(np.sum(labels >= 0))
    assert n_clustered == 500
    config = ExplainConfig(n_estimators=30, test_share=test_share)
    result = explain_planted(X, labels, config)
    assert result.n_train + result.n_test == n_clustered
    assert result.n_test == math.ceil(test_share * n_clustered)
    assert result.surrogate_accuracy is not None and result.surrogate_accuracy >= 0.95


def test_singleton_segment_splits_without_stratifying() -> None:
    X, labels = planted(n=200)
    labels = labels.copy()
    labels[0] = 2  # a segment of one row cannot be stratified
    result = explain_planted(X, labels)
    assert result.n_train + result.n_test == 200
    assert result.n_test == 50
    assert result.table["feature"].iloc[0] == "a"


@pytest.mark.parametrize(
    "labels",
    [
        np.zeros(100, dtype=int),
        np.full(100, -1),
        np.r_[np.full(50, -1), np.full(50, 3)],
    ],
    ids=["one-segment", "all-noise", "one-segment-and-noise"],
)
def test_fewer_than_two_segments_gives_empty_explanation(labels: np.ndarray) -> None:
    X = np.random.default_rng(0).normal(size=(100, 3))
    result = explain_planted(X, labels)
    assert result.surrogate_accuracy is None
    assert result.n_train == 0 and result.n_test == 0
    assert list(result.table.columns) == COLUMNS
    assert result.table.empty
    assert result.top_features() == []
    assert "fewer than two segments" in result.note


# --------------------------------------------------------------------------- sampling


def test_large_input_trained_on_stratified_sample() -> None:
    X, labels = planted(n=1000)
    result = explain_planted(X, labels, ExplainConfig(n_estimators=30, max_rows=200))
    used = result.n_train + result.n_test
    assert 200 <= used <= 210
    assert result.n_test == math.ceil(0.25 * used)
    assert "sample" in result.note
    assert f"{used:,}" in result.note
    assert result.table["feature"].iloc[0] == "a"


def test_sample_counts_clustered_rows_only() -> None:
    # 1,100 rows, 900 of them noise: 200 clustered rows fit max_rows, so no sample.
    X, labels = planted(n=1100)
    labels = labels.copy()
    labels[200:] = -1
    result = explain_planted(X, labels, ExplainConfig(n_estimators=30, max_rows=200))
    assert result.n_train + result.n_test == 200
    assert result.note == ""


# --------------------------------------------------------------------------- determinism


def noisy_segments(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Labels from two columns plus noise, so every importance is strictly uncertain."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(n, 3))
    labels = (X[:, 0] + 0.7 * X[:, 1] + rng.normal(scale=0.8, size=n) > 0).astype(int)
    return X, labels


def test_same_seed_same_table_other_seed_differs() -> None:
    X, labels = noisy_segments()
    first = explain_planted(X, labels, seed=4)
    second = explain_planted(X, labels, seed=4)
    pd.testing.assert_frame_equal(first.table, second.table)
    assert first.surrogate_accuracy == second.surrogate_accuracy
    other = explain_planted(X, labels, seed=5)
    merged = first.table.merge(other.table, on="feature")
    assert not np.allclose(merged["permutation_mean_x"], merged["permutation_mean_y"])


def test_inputs_not_modified() -> None:
    X, labels = noisy_segments(n=600)
    labels[::10] = -1
    X_before, labels_before = X.copy(), labels.copy()
    names = ["a", "b", "c"]
    explain_segments(
        X,
        labels,
        method="kmeans",
        feature_names=names,
        feature_origin=identity(names),
        config=ExplainConfig(n_estimators=30, max_rows=200),
        seed=0,
    )
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(labels, labels_before)
    assert names == ["a", "b", "c"]


# --------------------------------------------------------------------------- real data


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mall_customers_income_and_spending_drive_segments(
    seed: int, mall_frame: pd.DataFrame
) -> None:
    config = Config().with_overrides(
        {
            "seed": seed,
            "clustering.methods": ["kmeans"],
            "clustering.k": 5,
            "input.features": ["Age", "Annual Income (k$)", "Spending Score (1-100)"],
        }
    )
    importance = run_segmentation(mall_frame, config).importance["kmeans"]
    features = list(importance.table["feature"])
    assert set(features[:2]) == {"Annual Income (k$)", "Spending Score (1-100)"}
    assert features[2] == "Age"
    assert importance.surrogate_accuracy is not None
    assert importance.surrogate_accuracy >= 0.9
    assert importance.n_train + importance.n_test == len(mall_frame) == 200


def test_small_held_out_set_falls_back_to_a_plain_split() -> None:
    # 10 rows, 5 segments of 2: a stratified 3-row test set cannot hold every segment.
    X = np.random.default_rng(0).normal(size=(10, 2))
    importance = explain_segments(
        X,
        np.repeat(np.arange(5), 2),
        method="m",
        feature_names=["a", "b"],
        feature_origin={"a": "a", "b": "b"},
        config=ExplainConfig(n_estimators=10),
        seed=0,
    )
    assert (importance.n_train, importance.n_test) == (7, 3)
    assert importance.surrogate_accuracy is not None


def _one_shuffle_at_a_time(
    model: RandomForestClassifier, X: np.ndarray, y: np.ndarray, groups: dict, seed: int
) -> dict[str, tuple[float, float]]:
    """The textbook loop: shuffle a group, score, repeat."""
    rng = np.random.default_rng(seed)
    baseline = model.score(X, y)
    result = {}
    for name, columns in groups.items():
        drops = []
        for _ in range(3):
            order = rng.permutation(len(X))
            shuffled = X.copy()
            shuffled[:, columns] = X[order][:, columns]
            drops.append(baseline - model.score(shuffled, y))
        result[name] = (float(np.mean(drops)), float(np.std(drops)))
    return result


@pytest.mark.parametrize("stack_cells", [1, 700, 8_000_000])
def test_stacked_permutation_importance_equals_one_shuffle_at_a_time(
    stack_cells: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] > 0).astype(int) + (X[:, 3] + X[:, 4] > 1)
    model = RandomForestClassifier(20, random_state=0).fit(X[:200], y[:200])
    groups = {"a": np.array([0]), "b": np.array([1, 2]), "c": np.array([3, 4])}
    monkeypatch.setattr(explain, "_STACK_CELLS", stack_cells)
    stacked = explain.grouped_permutation_importance(
        model, X[200:], y[200:], groups, n_repeats=3, seed=5
    )
    assert stacked == _one_shuffle_at_a_time(model, X[200:], y[200:], groups, seed=5)
    assert stacked["a"][0] > 0.2  # the feature that decides most labels matters
    assert abs(stacked["b"][0]) < stacked["a"][0] / 5  # pure noise columns barely do
