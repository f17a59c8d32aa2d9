"""Why customers landed where they did: a surrogate Random Forest per segmentation.

A forest is trained to predict a method's segments from the prepared features (noise
excluded) on a seeded, stratified train / held-out split. Its held-out accuracy is the
surrogate's *fidelity*: how far to trust the explanation. Importance is reported on the
user's **original** columns: the one-hot columns of one categorical feature are
permuted together and their impurity importances summed, so "region" is one feature,
not five.

Correlated features share their importance under permutation: shuffle one and the forest
reads the same information from its twin, so both look unimportant however much they
separate the segments. Features that rank customers alike (every pair with |Spearman
rho| at least ``explain.group_correlation``) are therefore also shuffled together, as
in scikit-learn's example "Permutation Importance with Multicollinear or Correlated
Features", and the group's importance is reported beside each feature's own.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from scipy.stats import rankdata
from sklearn.model_selection import train_test_split

from segmentkit.config import ExplainConfig
from segmentkit.describe.importance_words import importance_groups, importance_headline
from segmentkit.selection.criteria import stratified_sample

if TYPE_CHECKING:
    from sklearn.ensemble import RandomForestClassifier

__all__ = ["Importance", "correlated_groups", "explain_segments", "grouped_permutation_importance"]

logger = logging.getLogger(__name__)

IMPORTANCE_COLUMNS = (
    "feature",
    "rf_importance",
    "permutation_mean",
    "permutation_std",
    "feature_group",
    "group_permutation_mean",
    "group_permutation_std",
)

#: Rows the correlation between features is measured on, a seeded sample above it: the
#: standard error of rho is then about 0.014, and ranking costs milliseconds at any size.
CORRELATION_ROWS = 5_000


@dataclass(frozen=True)
class Importance:
    """How much each original feature drives one method's segments.

    Attributes
    ----------
    method : str
        The method explained.
    table : pandas.DataFrame
        One row per original feature: ``feature``, ``rf_importance`` (impurity, summed
        over one-hot columns; sums to 1), ``permutation_mean`` and ``permutation_std``
        (drop in held-out accuracy when the feature alone is shuffled, over
        ``n_repeats``), ``feature_group`` (its group of correlated features, members
        joined by " + "; the feature itself when it has no correlated twin) and
        ``group_permutation_mean``, ``group_permutation_std`` (the drop when the whole
        group is shuffled together; the same on every member's row). Most important
        group first, its members next to each other, each group by its own importance.
    surrogate_accuracy : float or None
        Held-out accuracy of the forest; ``None`` when it could not be trained.
    n_train, n_test : int
        Rows the forest was trained and scored on.
    note : str
        Sampling done, or why there is no explanation.
    """

    method: str
    table: pd.DataFrame
    surrogate_accuracy: float | None
    n_train: int
    n_test: int
    note: str = ""

    def top_features(self, n: int = 3) -> list[str]:
        """Return the ``n`` most important features (by group, then by their own)."""
        return [str(f) for f in self.table["feature"].head(n)]

    def groups(self) -> pd.DataFrame:
        """Return one row per group of features shuffled together, most important first.

        See :func:`~segmentkit.describe.importance_words.importance_groups`.
        """
        return importance_groups(self.table)

    def headline(self) -> str:
        """Return what separates the segments, in words.

        See :func:`~segmentkit.describe.importance_words.importance_headline`.
        """
        return importance_headline(self.table, self.surrogate_accuracy)


#: Below this many customers the forest is grown and queried in one thread: starting
#: threads costs more than they save. Measured per method, one thread against two: Mall
#: (200) 0.12 against 0.25 s, 3,000 customers 0.37 against 0.43 s; from 5,000 two win
#: (0.41 against 0.55 s).
_THREADED_ROWS = 4_000
#: Cells of shuffled copies scored in one prediction (64 MiB of float64).
_STACK_CELLS = 8_000_000


def _feature_groups(
    feature_names: list[str], feature_origin: dict[str, str]
) -> dict[str, np.ndarray]:
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(feature_names):
        groups.setdefault(feature_origin[name], []).append(i)
    return {origin: np.asarray(columns) for origin, columns in groups.items()}


def correlated_groups(
    X: np.ndarray,
    feature_names: list[str],
    feature_origin: dict[str, str],
    *,
    threshold: float,
    seed: int,
) -> list[list[str]]:
    """Group the original features that rank customers alike.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
        The prepared matrix; above :data:`CORRELATION_ROWS` rows, a seeded sample of
        that many is used, so the cost is bounded at any ``n``.
    feature_names : list of str
        Column names of ``X``.
    feature_origin : dict
        Model feature name to the original column it came from.
    threshold : float
        Every pair of features in a group has ``|Spearman rho| >= threshold``.
    seed : int
        Seed of the row sample.

    Returns
    -------
    list of list of str
        Every original feature exactly once, in groups; a group lists its features in
        the order of their columns in ``X``, groups are ordered by their first feature.
        A categorical feature (several one-hot columns) is a group of its own.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(2, 500))
    >>> X = np.column_stack([a, b, np.exp(a) + 0.01 * b])
    >>> names = ["a", "b", "c"]
    >>> correlated_groups(X, names, dict(zip(names, names)), threshold=0.7, seed=0)
    [['a', 'c'], ['b']]
    """
    columns = _feature_groups(feature_names, feature_origin)
    origins = list(columns)
    # Step 1: only features of one column can be ranked; one-hot blocks stay alone.
    single = [o for o in origins if len(columns[o]) == 1]
    label = {o: i for i, o in enumerate(origins)}
    if len(single) >= 2:
        rows = np.arange(len(X))
        if len(X) > CORRELATION_ROWS:
            rng = np.random.default_rng(seed)
            rows = np.sort(rng.choice(len(X), CORRELATION_ROWS, replace=False))
        # Step 2: Spearman's rho is Pearson's on ranks (ties share their mean rank).
        positions = np.array([columns[o][0] for o in single], dtype=int)
        ranks = rankdata(X[np.ix_(rows, positions)], axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = np.corrcoef(ranks, rowvar=False)
        # A constant column has no rank order: it is correlated with nothing.
        rho = np.nan_to_num(np.atleast_2d(rho), nan=0.0)
        distance = np.clip(1.0 - np.abs(rho), 0.0, None)
        np.fill_diagonal(distance, 0.0)
        # Step 3: complete linkage, so every pair in a group (not only a chain of
        # neighbours) reaches the threshold; the tolerance keeps rho = 1 at threshold 1.
        tree = linkage(squareform(distance, checks=False), method="complete")
        clusters = fcluster(tree, t=1.0 - threshold + 1e-9, criterion="distance")
        first: dict[int, str] = {}
        for origin, cluster in zip(single, clusters, strict=True):
            label[origin] = label[first.setdefault(int(cluster), origin)]
    groups: dict[int, list[str]] = {}
    for origin in origins:
        groups.setdefault(label[origin], []).append(origin)
    return list(groups.values())


def grouped_permutation_importance(
    model: RandomForestClassifier,
    X: np.ndarray,
    y: np.ndarray,
    groups: dict[str, np.ndarray],
    *,
    n_repeats: int,
    seed: int,
) -> dict[str, tuple[float, float]]:
    """Drop in accuracy when each group of columns is shuffled together.

    Parameters
    ----------
    model : fitted classifier with ``score``
    X : numpy.ndarray of shape (n, d)
        Held-out rows.
    y : numpy.ndarray of shape (n,)
        Their labels.
    groups : dict
        Feature name to the column positions that make it up.
    n_repeats : int
        Shuffles per group.
    seed : int
        Seed of the shuffles.

    Returns
    -------
    dict
        Feature name to ``(mean, std)`` of the accuracy drop.
    """
    drops = _shuffle_drops(
        model, X, y, list(groups.values()), n_repeats=n_repeats, seed=seed, baseline=None
    )
    return dict(zip(groups, drops, strict=True))


def _shuffle_drops(
    model: RandomForestClassifier,
    X: np.ndarray,
    y: np.ndarray,
    blocks: list[np.ndarray],
    *,
    n_repeats: int,
    seed: int,
    baseline: float | None,
) -> list[tuple[float, float]]:
    """``(mean, std)`` accuracy drop of each block of columns, in the order given."""
    rng = np.random.default_rng(seed)
    if baseline is None:
        baseline = float(model.score(X, y))
    # Every shuffle first (the same draws, in the same order, as one at a time), then
    # scored in stacks of copies: one forest prediction per stack instead of per shuffle
    # halves the time, as the trees are walked in parallel over many more rows.
    shuffles = [
        (block, columns, rng.permutation(len(X)))
        for block, columns in enumerate(blocks)
        for _ in range(n_repeats)
    ]
    per_stack = max(1, _STACK_CELLS // max(1, X.size))
    drops: list[list[float]] = [[] for _ in blocks]
    for start in range(0, len(shuffles), per_stack):
        stack = shuffles[start : start + per_stack]
        copies = np.tile(X, (len(stack), 1))
        for position, (_, columns, order) in enumerate(stack):
            # One permutation for every column of the group keeps a one-hot row valid.
            copies[position * len(X) : (position + 1) * len(X), columns] = X[order][:, columns]
        correct = model.predict(copies) == np.tile(y, len(stack))
        for (block, _, _), accuracy in zip(
            stack, correct.reshape(len(stack), len(X)).mean(axis=1), strict=True
        ):
            drops[block].append(baseline - float(accuracy))
    return [(float(np.mean(d)), float(np.std(d))) for d in drops]


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Most important group first, its members together, each ranked by its own drop."""
    group_rf = table.groupby("feature_group", sort=False)["rf_importance"].transform("sum")
    keys = table.assign(_group_rf=group_rf)
    order = keys.sort_values(
        [
            "group_permutation_mean",
            "_group_rf",
            "feature_group",
            "permutation_mean",
            "rf_importance",
        ],
        ascending=[False, False, True, False, False],
        kind="stable",
    ).index
    return table.loc[order].reset_index(drop=True)


def _empty(method: str, note: str) -> Importance:
    table = pd.DataFrame({c: pd.Series(dtype=float) for c in IMPORTANCE_COLUMNS})
    table["feature"] = table["feature"].astype(object)
    table["feature_group"] = table["feature_group"].astype(object)
    return Importance(method, table, None, 0, 0, note)


def explain_segments(
    X: np.ndarray,
    labels: np.ndarray,
    *,
    method: str,
    feature_names: list[str],
    feature_origin: dict[str, str],
    config: ExplainConfig,
    seed: int,
    n_jobs: int | None = None,
) -> Importance:
    """Train the surrogate forest for one labelling and measure feature importance.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
        The prepared matrix the segmentation was fitted on.
    labels : numpy.ndarray of shape (n,)
        Segments, ``-1`` for noise (left out).
    method : str
        Method name, copied into the result.
    feature_names : list of str
        Column names of ``X``.
    feature_origin : dict
        Model feature name to the original column it came from.
    config : ExplainConfig
        Forest size, held-out share, sample cap and repeats.
    seed : int
        Seed of the sample, the split, the forest and the shuffles.
    n_jobs : int, optional
        Parallel jobs for the forest.

    Returns
    -------
    Importance
    """
    clustered = np.flatnonzero(labels >= 0)
    y_all = labels[clustered]
    segments = np.unique(y_all)
    if len(segments) < 2:
        return _empty(method, "fewer than two segments: nothing to tell apart")
    notes = []
    if len(clustered) > config.max_rows:
        clustered = clustered[stratified_sample(y_all, config.max_rows, seed)]
        notes.append(f"trained on a stratified sample of {len(clustered):,} customers")
        logger.info("%s: surrogate forest on a sample of %d rows", method, len(clustered))
    X_used, y_used = X[clustered], labels[clustered]
    _, counts = np.unique(y_used, return_counts=True)
    n_test = math.ceil(config.test_share * len(y_used))
    # Stratify when every segment can appear on both sides of the split.
    can_stratify = counts.min() >= 2 and min(n_test, len(y_used) - n_test) >= len(counts)
    stratify = y_used if can_stratify else None
    X_train, X_test, y_train, y_test = train_test_split(
        X_used, y_used, test_size=config.test_share, random_state=seed, stratify=stratify
    )
    # Imported here: sklearn.ensemble is slow to import and only the explain stage needs it.
    from sklearn.ensemble import RandomForestClassifier

    # The trees are the same on any number of threads (their seeds are drawn first).
    threads = n_jobs if len(y_used) >= _THREADED_ROWS else 1
    forest = RandomForestClassifier(
        n_estimators=config.n_estimators, random_state=seed, n_jobs=threads
    ).fit(X_train, y_train)
    accuracy = float(forest.score(X_test, y_test))
    groups = _feature_groups(feature_names, feature_origin)
    # The groups come from every row of X, so every method of a run gets the same ones.
    correlated = correlated_groups(
        X, feature_names, feature_origin, threshold=config.group_correlation, seed=seed
    )
    # Labelled alphabetically: the same label whatever the order of the model's columns.
    label = {f: " + ".join(sorted(members)) for members in correlated for f in members}
    together = [members for members in correlated if len(members) > 1]
    # Each feature alone, then each group of several in one pass: the features' shuffles
    # are drawn first, so their numbers are those of grouped_permutation_importance. A
    # feature without a correlated twin is its own group: its numbers are reused.
    drops = _shuffle_drops(
        forest,
        X_test,
        y_test,
        [*groups.values(), *(np.concatenate([groups[f] for f in m]) for m in together)],
        n_repeats=config.n_repeats,
        seed=seed,
        baseline=accuracy,
    )
    permutation = dict(zip(groups, drops[: len(groups)], strict=True))
    joint = {label[m[0]]: d for m, d in zip(together, drops[len(groups) :], strict=True)}
    group_result = {f: joint.get(label[f], permutation[f]) for f in groups}
    impurity = forest.feature_importances_
    table = pd.DataFrame(
        {
            "feature": list(groups),
            "rf_importance": [float(impurity[cols].sum()) for cols in groups.values()],
            "permutation_mean": [permutation[g][0] for g in groups],
            "permutation_std": [permutation[g][1] for g in groups],
            "feature_group": [label[g] for g in groups],
            "group_permutation_mean": [group_result[g][0] for g in groups],
            "group_permutation_std": [group_result[g][1] for g in groups],
        }
    )
    table = _ranked(table)
    logger.info(
        "%s: surrogate forest reproduces %.1f%% of held-out segments; top drivers %s",
        method,
        100 * accuracy,
        ", ".join(dict.fromkeys(table["feature_group"].head(3))),
    )
    return Importance(method, table, accuracy, len(X_train), len(X_test), "; ".join(notes))
