"""Per-segment profiles in the data's own units, with names, descriptions and actions.

Figures (mean, median, min, max, category shares, share of value) come from the cleaned
table, in original units: money stays money, dates are days before the latest date.
The standardised difference ``z`` of a numeric feature is ``(segment mean - mean of all
customers) / standard deviation of all customers`` on the scale the model saw (after
any log transform), so "much higher than average" is a number that does not depend on
the column's units. For a categorical value, ``z`` is the same quantity for its 0/1
indicator.

Flagged outliers (cleaning policy ``flag``) and DBSCAN noise are profiled apart as
"Unusual customers" (segments ``-2`` and ``-1``), so a few extreme customers do not
distort the description of a segment. In ``segments.csv`` an outlier keeps its nearest
segment, with ``is_outlier`` true.

The statistics are in :mod:`segmentkit.describe.profile_statistics` and
:mod:`segmentkit.describe.profile_population`, the words in
:mod:`segmentkit.describe.profile_prose`, what the action rules read in
:mod:`segmentkit.describe.profile_facts`; this module puts them together.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentkit.config import ProfilesConfig
from segmentkit.describe.actions import SegmentFacts, match_rules, match_unusual
from segmentkit.describe.labels import category_name
from segmentkit.describe.naming import NOISE_NAME, OUTLIER_NAME, name_segments, unusual_name
from segmentkit.describe.outcomes import outcome_facts, outcome_means
from segmentkit.describe.profile_facts import segment_facts
from segmentkit.describe.profile_population import Population, categorical_stats, feature_labels
from segmentkit.describe.profile_prose import describe_segment, key_figures
from segmentkit.describe.profile_statistics import (
    UNUSUAL_SEGMENT,
    Driver,
    numeric_stats,
    profile_groups,
    standardised_differences,
    typical_statistic,
)
from segmentkit.describe.segment_counts import distinct_segments
from segmentkit.prepare.transformer import PreparedData
from segmentkit.text import display_name

__all__ = [
    "NOISE_NAME",
    "OUTLIER_NAME",
    "UNUSUAL_SEGMENT",
    "Driver",
    "SegmentProfiles",
    "display_name",
    "feature_labels",
    "profile_groups",
    "profile_segments",
    "standardised_differences",
    "typical_statistic",
]


@dataclass(frozen=True)
class SegmentProfiles:
    """Profiles of every segment of one method.

    Attributes
    ----------
    method : str
        The method.
    table : pandas.DataFrame
        One row per segment (then ``-1`` noise and ``-2`` outliers when present):
        ``method, segment, name, size, share``, ``value_share`` when a value column is
        known, ``description, key_figures, drivers, recommendation,
        recommendation_rules``, then per numeric feature ``<f>_mean/_median/_min/_max/_z``
        and per categorical feature ``<f>_top``, ``<f>_top_share``, ``<f>_top_lift`` and
        ``<f>_mix`` (the most common values with share and lift); ``<o>_mean`` per outcome
        column (:mod:`segmentkit.describe.outcomes`) comes before the features.
    contrasts : pandas.DataFrame
        Segment × numeric feature standardised differences (segments ``>= 0`` only).
    names : dict
        Profile number to name.
    drivers : dict
        Profile number to its drivers, strongest first.
    descriptions : dict
        Profile number to a one-paragraph description.
    recommendations : dict
        Profile number to ``(rule, action)`` pairs.
    value_columns : tuple of str
        Columns summed into a customer's value (empty: no share of value).
    """

    method: str
    table: pd.DataFrame
    contrasts: pd.DataFrame
    names: dict[int, str]
    drivers: dict[int, tuple[Driver, ...]]
    descriptions: dict[int, str]
    recommendations: dict[int, tuple[tuple[str, str], ...]]
    value_columns: tuple[str, ...] = ()


def _with_carried_names(fresh: dict[int, str], carried: Mapping[int, str]) -> dict[int, str]:
    """Return the fresh names with the carried ones kept (``--previous``).

    A fresh name that would clash with a carried one gets " (new)", so two segments never
    share a name.
    """
    names = dict(fresh)
    for segment, name in carried.items():
        if segment in names:
            names[segment] = name
    taken = {names[s] for s in carried if s in names}
    for segment in names:
        if segment not in carried and names[segment] in taken:
            names[segment] += " (new)"
    return names


def profile_segments(
    prepared: PreparedData,
    method: str,
    labels: np.ndarray,
    config: ProfilesConfig | None = None,
    *,
    carried_names: dict[int, str] | None = None,
    population: Population | None = None,
) -> SegmentProfiles:
    """Describe, name and recommend actions for every segment of one labelling.

    Parameters
    ----------
    prepared : PreparedData
        The cleaned data.
    method : str
        Method name, copied into the table.
    labels : numpy.ndarray of shape (n_kept,)
        Segment of every kept row, ``-1`` for noise.
    config : ProfilesConfig, optional
        Value columns, semantic columns and rules (defaults when omitted).
    carried_names : dict, optional
        Names kept from a previous run for these segments (``--previous``); a fresh name
        that would clash with one of them gets " (new)".
    population : Population, optional
        The whole-population figures of ``prepared`` and ``config``, computed once when
        several labellings of the same data are profiled (computed here when omitted).

    Returns
    -------
    SegmentProfiles
    """
    config = config or ProfilesConfig()
    population = population or Population(prepared, config)
    cleaned = prepared.cleaned
    groups = profile_groups(labels, prepared.fit_mask)
    present = set(distinct_segments(groups).tolist())
    order = sorted(g for g in present if g >= 0) + [
        g for g in (-1, UNUSUAL_SEGMENT) if g in present
    ]
    rows, contrast_rows, notes = [], {}, {}
    drivers: dict[int, tuple[Driver, ...]] = {}
    facts: dict[int, SegmentFacts] = {}
    shares: dict[int, dict[tuple[str, str], float]] = {}
    zs: dict[int, dict[str, float]] = {}
    # Each group's rows as positions (ascending): taken from arrays and frames directly,
    # where a mask would pass over every customer for every figure.
    positions = {group: np.flatnonzero(groups == group) for group in order}
    numeric = cleaned[population.numeric]
    for group in order:
        members = positions[group]
        row: dict[str, object] = {
            "method": method,
            "segment": group,
            "size": len(members),
            "share": len(members) / len(groups),
        }
        if population.value is not None:
            value = population.value.iloc[members].sum()
            row["value_share"] = float(value / population.value.sum())
        # Outcomes (campaign results) are described, never segmented on.
        row.update(outcome_means(prepared.outcomes, members))
        numeric_stats(row, numeric.take(members), population.numeric)
        z = zs[group] = population.z(members, row)
        row.update({f"{c}_z": z.get(c, np.nan) for c in population.numeric})
        # Each category column's shares in the segment, counted once for both uses.
        segment_shares = {c: population.shares(c, members) for c in population.categorical}
        categorical_drivers, tops = categorical_stats(
            row, population, segment_shares, config.top_categories
        )
        shares[group] = {
            (c, str(v)): float(s) for c, values in segment_shares.items() for v, s in values.items()
        }
        numeric_drivers = [Driver(c, v) for c, v in z.items()]
        ranked = sorted(numeric_drivers + categorical_drivers, key=lambda d: -abs(d.z))
        drivers[group] = tuple(ranked)
        notes[group] = [
            f"{'All' if float(row[f'{c}_top_share']) >= 1 else 'Mostly'} {words}"  # type: ignore[arg-type]
            for c, (top, lift) in tops.items()
            if float(row[f"{c}_top_share"]) >= 0.6  # type: ignore[arg-type]
            and lift >= 1.5
            and (words := category_name(c, top)) is not None
        ]
        facts[group] = segment_facts(
            z, row, tops, categorical_drivers, population, shares[group], members
        )
        facts[group] = dataclasses.replace(
            facts[group], outcomes=outcome_facts(prepared.outcomes, members)
        )
        if group >= 0:
            contrast_rows[group] = z
        rows.append(row)
    contrasts = pd.DataFrame.from_dict(contrast_rows, orient="index", columns=population.z_columns)
    names = _with_carried_names(
        name_segments(contrasts, notes, population.labels), carried_names or {}
    )
    recommendations: dict[int, tuple[tuple[str, str], ...]] = {}
    for group in (g for g in order if g < 0):
        label, actions = match_unusual(facts[group], config)
        recommendations[group] = tuple(actions)
        names[group] = unusual_name(group, label, zs[group], population.labels)
    names = {g: names[g] for g in order}
    descriptions = {}
    for row in rows:
        group = int(row["segment"])  # type: ignore[call-overload]
        descriptions[group] = describe_segment(
            group, row, list(drivers[group]), population, shares[group], positions[group]
        )
        if group >= 0:
            recommendations[group] = tuple(match_rules(facts[group], config))
        row["name"] = names[group]
        row["description"] = descriptions[group]
        row["key_figures"] = key_figures(zs[group], row, population)
        row["drivers"] = "; ".join(d.describe() for d in drivers[group][:3])
        row["recommendation"] = " ".join(action for _, action in recommendations[group])
        row["recommendation_rules"] = " ".join(rule for rule, _ in recommendations[group])
    leading = ["method", "segment", "name", "size", "share"]
    if population.value is not None:
        leading.append("value_share")
    leading += ["description", "key_figures", "drivers", "recommendation", "recommendation_rules"]
    table = pd.DataFrame(rows)
    table = table[leading + [c for c in table.columns if c not in leading]]
    return SegmentProfiles(
        method=method,
        table=table,
        contrasts=contrasts,
        names=names,
        drivers=drivers,
        descriptions=descriptions,
        recommendations=recommendations,
        value_columns=tuple(population.value_columns if population.value is not None else ()),
    )
