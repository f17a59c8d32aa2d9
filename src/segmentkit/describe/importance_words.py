"""What separates the segments, in words: importance by group and the one-sentence headline.

Read from an :attr:`~segmentkit.describe.importance.Importance.table` in memory or from a method's
rows of ``feature_importance.csv``, so ``segmentkit run``, ``segmentkit profile OUT_DIR``
and the report say the same thing. Kept apart from :mod:`segmentkit.describe.importance` so that
reading an output folder does not import scikit-learn.

Importance is said as the accuracy the surrogate forest keeps when a group of features
is shuffled, never as bare decimals: "0.00" next to "reproduces 97%" reads as "nothing
separates them" when correlated features merely share the credit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentkit.text import display_name

__all__ = ["MIN_DROP", "importance_groups", "importance_headline", "short_group_label"]

#: A group is named only when shuffling it costs at least this much accuracy (5 points).
#: Smaller drops are within two standard deviations of the shuffles on small held-out sets
#: (75 customers: 1.3 points each), and on data whose segments differ on every feature
#: the largest group drop is about 3 points: "100% to 97%" would name one of many.
MIN_DROP = 0.05


def importance_groups(table: pd.DataFrame) -> pd.DataFrame:
    """Return one row per group of features shuffled together, most important first.

    Parameters
    ----------
    table : pandas.DataFrame
        An :attr:`Importance.table`, or a method's rows of ``feature_importance.csv``.
        Without ``feature_group`` (files written before features were grouped) every
        feature is its own group.

    Returns
    -------
    pandas.DataFrame
        ``feature_group``, ``features`` (tuple of its features, in table order),
        ``permutation_mean``, ``permutation_std`` (the drop in accuracy when the group
        is shuffled together), ``rf_importance`` (summed over the group).

    Examples
    --------
    >>> table = pd.DataFrame({"feature": ["a", "b", "c"], "rf_importance": [0.4, 0.4, 0.2],
    ...     "permutation_mean": [0.01, 0.0, 0.2], "permutation_std": [0.0, 0.0, 0.01],
    ...     "feature_group": ["a + b", "a + b", "c"],
    ...     "group_permutation_mean": [0.45, 0.45, 0.2],
    ...     "group_permutation_std": [0.02, 0.02, 0.01]})
    >>> importance_groups(table)[["feature_group", "features", "permutation_mean"]]
      feature_group features  permutation_mean
    0         a + b   (a, b)              0.45
    1             c     (c,)              0.20
    """
    if "feature_group" in table.columns and table["feature_group"].notna().all():
        rows = table.assign(
            _mean=table["group_permutation_mean"], _std=table["group_permutation_std"]
        )
    else:
        rows = table.assign(
            feature_group=table["feature"],
            _mean=table["permutation_mean"],
            _std=table.get("permutation_std", 0.0),
        )
    if "rf_importance" not in rows.columns:
        rows = rows.assign(rf_importance=np.nan)
    result = (
        rows.astype({"feature": str, "feature_group": str})
        .groupby("feature_group", sort=False)
        .agg(
            features=("feature", tuple),
            permutation_mean=("_mean", "first"),
            permutation_std=("_std", "first"),
            rf_importance=("rf_importance", "sum"),
        )
        .reset_index()
    )
    return result.sort_values(
        "permutation_mean", ascending=False, kind="stable", na_position="last"
    ).reset_index(drop=True)


def short_group_label(features: tuple[str, ...] | list[str]) -> str:
    """Return a group's label short enough for a chart axis.

    Examples
    --------
    >>> short_group_label(("a",)), short_group_label(("a", "b")), short_group_label("abc")
    ('a', 'a + b', 'a + 2 more')
    """
    members = [str(f) for f in features]
    if len(members) <= 2:
        return " + ".join(members)
    return f"{members[0]} + {len(members) - 1} more"


def _in_sentence(feature: str) -> str:
    """Return a feature's display name inside a sentence: "annual income", "RFM score"."""
    # Capitalised words are lower-cased; acronyms and other capitals ("RFM", "k$") stay.
    words = display_name(feature).split(" ")
    return " ".join(w.lower() if not any(c.isupper() for c in w[1:]) else w for w in words)


def _listed(features: tuple[str, ...], most: int = 5) -> str:
    names = [_in_sentence(f) for f in features]
    if len(names) > most:
        names = [*names[: most - 1], f"{len(names) - most + 1} more"]
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return text + (" together" if len(features) > 1 else "")


def importance_headline(table: pd.DataFrame, accuracy: float | None, *, most: int = 3) -> str:
    """Say in one sentence what separates the segments, for the terminal and the report.

    Groups are named by the accuracy the surrogate keeps when they are shuffled, from
    the accuracy it reaches with every feature, never as bare decimals; only groups
    whose shuffling costs at least :data:`MIN_DROP` are named, so a negative or
    negligible importance never is.

    Parameters
    ----------
    table : pandas.DataFrame
        An :attr:`Importance.table` or a method's rows of ``feature_importance.csv``
        (with or without the group columns).
    accuracy : float or None
        The surrogate's held-out accuracy; ``None`` (no explanation) gives ``""``.
    most : int, default 3
        Groups named at most.

    Returns
    -------
    str

    Examples
    --------
    >>> table = pd.DataFrame({"feature": ["wines", "meat", "income", "children"],
    ...     "rf_importance": [0.3, 0.3, 0.3, 0.1],
    ...     "permutation_mean": [0.01, 0.005, 0.06, -0.01],
    ...     "permutation_std": [0.01, 0.01, 0.01, 0.01],
    ...     "feature_group": ["wines + meat", "wines + meat", "income", "children"],
    ...     "group_permutation_mean": [0.56, 0.56, 0.06, -0.01],
    ...     "group_permutation_std": [0.02, 0.02, 0.01, 0.01]})
    >>> print(importance_headline(table, 0.97))  # doctest: +NORMALIZE_WHITESPACE
    What separates the segments most: wines and meat together (shuffling them drops a
    forest that reproduces 97% of the segments to 41%), then income (to 91%)
    >>> small = table.assign(group_permutation_mean=0.01)
    >>> print(importance_headline(small, 0.97))  # doctest: +NORMALIZE_WHITESPACE
    No single feature or group separates the segments on its own: they differ on many
    features at once (see each segment's drivers; a forest given every feature reproduces
    97% of the segments)
    """
    if accuracy is None or table.empty:
        return ""
    groups = importance_groups(table)
    named = groups[groups["permutation_mean"] >= MIN_DROP].head(most)
    if named.empty:
        return (
            "No single feature or group separates the segments on its own: they differ on "
            "many features at once (see each segment's drivers; a forest given every "
            f"feature reproduces {accuracy:.0%} of the segments)"
        )
    parts = []
    rows = zip(named["features"], named["permutation_mean"], strict=True)
    for position, (members, drop) in enumerate(rows):
        features = tuple(str(f) for f in members)
        left = max(0.0, accuracy - float(drop))
        if position == 0:
            pronoun = "them" if len(features) > 1 else "it"
            parts.append(
                f"What separates the segments most: {_listed(features)} (shuffling "
                f"{pronoun} drops a forest that reproduces {accuracy:.0%} of the segments "
                f"to {left:.0%})"
            )
        else:
            # ", then" before each: "a and b together" cannot be told from a list's "and".
            parts.append(f", then {_listed(features)} (to {left:.0%})")
    return "".join(parts)
