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
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentkit.config import ProfilesConfig
from segmentkit.describe.actions import (
    VALUE_FEATURE,
    SegmentFacts,
    data_kind,
    match_rules,
    match_unusual,
    semantic_columns,
    value_columns,
)
from segmentkit.describe.labels import FeatureLabel, category_name, category_words, feature_label
from segmentkit.describe.naming import NOISE_NAME, OUTLIER_NAME, SLIGHT, name_segments, unusual_name
from segmentkit.describe.outcomes import outcome_facts, outcome_means
from segmentkit.prepare.transformer import PreparedData
from segmentkit.text import axis_label, display_name, snake_case

__all__ = [
    "NOISE_NAME",
    "OUTLIER_NAME",
    "UNUSUAL_SEGMENT",
    "Driver",
    "SegmentProfiles",
    "display_name",
    "profile_groups",
    "profile_segments",
    "standardised_differences",
]

logger = logging.getLogger(__name__)

#: Profile number of flagged outliers (``-1`` is DBSCAN noise).
UNUSUAL_SEGMENT = -2
MISSING = "(missing)"


@dataclass(frozen=True)
class Driver:
    """One feature that sets a segment apart from all customers.

    Attributes
    ----------
    feature : str
        The original column.
    z : float
        Standardised difference from all customers.
    value : str or None
        For a categorical feature, the value whose share differs most.
    """

    feature: str
    z: float
    value: str | None = None

    def describe(self) -> str:
        """Return a compact label such as ``Annual Income (k$) +1.9 sd``.

        Examples
        --------
        >>> Driver("Channel", -1.234, "Retail").describe()
        'Channel = Retail -1.2 sd'
        >>> Driver("MntMeatProducts", 0.91).describe()
        'Spend on meat products +0.9 sd'
        """
        name = axis_label(self.feature)  # in words; a name with spaces keeps its units
        label = name if self.value is None else f"{name} = {self.value}"
        return f"{label} {self.z:+.1f} sd"


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


def profile_groups(labels: np.ndarray, fit_mask: np.ndarray) -> np.ndarray:
    """Return the profile each row is described in: its segment, ``-1`` or ``-2``.

    Flagged outliers (``fit_mask`` false) go to ``-2``, except in a segment made only of
    outliers, which is described as it is.

    Examples
    --------
    >>> profile_groups(np.array([0, 1, -1, 1, 2]), np.array([True, False, False, True, False]))
    array([ 0, -2, -1,  1,  2])
    """
    labels = np.asarray(labels)
    outlier = ~np.asarray(fit_mask) & (labels >= 0)
    groups = labels.copy()
    typical = np.unique(labels[~outlier & (labels >= 0)])
    groups[outlier & np.isin(labels, typical)] = UNUSUAL_SEGMENT
    return groups


def typical_statistic(column: str, log_columns: list[str]) -> str:
    """Return the figure that says whether a segment is higher or lower on a feature.

    The median for a column the model saw on a log scale (skewed money: the mean is
    pulled by a few whales, and the model compares logs), else the mean.

    Examples
    --------
    >>> typical_statistic("Fresh", ["Fresh"]), typical_statistic("Age", ["Fresh"])
    ('median', 'mean')
    """
    return "median" if column in log_columns else "mean"


def feature_labels(prepared: PreparedData) -> dict[str, FeatureLabel]:
    """How each numeric feature reads: words, unit, birth years as ages, dates as days."""
    years = [
        int(str(day)[:4]) for day in prepared.date_references.values() if str(day)[:4].isdigit()
    ]
    reference_year = max(years) if years else None
    return {
        column: feature_label(
            column, is_date=column in prepared.date_references, reference_year=reference_year
        )
        for column in prepared.numeric_features
    }


#: A customer whose value is at least this quantile of all customers' is a top customer.
TOP_QUANTILE = 0.9
#: Where a birth year reaches the rules as an age.
AGE_FEATURE = "@age_years"
_NON_NEGATIVE = re.compile(
    r"spend|spent|amount|sales|revenue|monetary|purchase|(^|_)mnt|income|salary|price|balance"
    r"|(^|_)(num|count|cnt|qty|quantity|frequency|visits|orders)($|_)"
)


def _implausible(
    cleaned: pd.DataFrame, labels: dict[str, FeatureLabel], value_columns: list[str]
) -> np.ndarray:
    """Flag customers with a figure that cannot be true.

    A negative amount or count (returns larger than purchases), an age below 0 or above 110.
    """
    bad = np.zeros(len(cleaned), dtype=bool)
    for column, label in labels.items():
        values = cleaned[column].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            if label.words == "age":
                shown = label.shown(values)
                bad |= (shown < 0) | (shown > 110)
            elif column in value_columns or _NON_NEGATIVE.search(snake_case(column)):
                bad |= values < 0
    return bad


def _who_they_are(population: _Population, members: np.ndarray) -> str:
    """Say how many unusual customers are top customers and how many bring no value."""
    top = int(population.top_value[members].sum())
    negligible = int(population.negligible[members].sum())
    parts = []
    if top:
        parts.append(f"{top:,} among the top 10% of customers by {population.value_label()}")
    if negligible:
        parts.append(f"{negligible:,} with no {population.value_label()} recorded")
    return f" ({'; '.join(parts)})" if parts else ""


def _customers(count: int) -> str:
    return f"{count:,} customer" + ("" if count == 1 else "s")


def _percent(share: float) -> str:
    if 0 < share < 0.005:
        return "<1%"  # "0%" would read as none
    return f"{100 * share:.0f}%"


class _Standardiser:
    """Standardised differences from all customers on the scale the model saw."""

    def __init__(self, prepared: PreparedData) -> None:
        # Numeric columns map one-to-one to a model feature (possibly prefixed).
        index = prepared.numeric_model_columns
        self.columns = [c for c in prepared.numeric_features if c in index]
        self.values = prepared.X[:, [index[c] for c in self.columns]]
        self.mean = self.values.mean(axis=0)
        std = self.values.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)

    def z(self, members: np.ndarray) -> np.ndarray:
        return np.asarray((self.values[members].mean(axis=0) - self.mean) / self.std)


def standardised_differences(prepared: PreparedData, labels: np.ndarray) -> pd.DataFrame:
    """Return segment × numeric feature standardised differences, the profiles' ``_z``.

    Rows are the segments (``>= 0``) as :func:`profile_groups` describes them: flagged
    outliers are left out of their segment.
    """
    standardiser = _Standardiser(prepared)
    groups = profile_groups(labels, prepared.fit_mask)
    rows = {int(g): standardiser.z(groups == g) for g in np.unique(groups) if g >= 0}
    return pd.DataFrame.from_dict(rows, orient="index", columns=standardiser.columns).sort_index()


class _Population:
    """Whole-population statistics every segment is compared with."""

    def __init__(self, prepared: PreparedData, config: ProfilesConfig) -> None:
        cleaned = prepared.cleaned
        self.numeric = list(prepared.numeric_features)
        self.categorical = list(prepared.categorical_features)
        self.standardiser = _Standardiser(prepared)
        self.z_columns = self.standardiser.columns
        self.mean = {c: float(cleaned[c].mean()) for c in self.numeric}
        # One figure per feature says "higher" or "lower": the median of a column the
        # model saw on a log scale (its z is a difference of logs), else the mean.
        self.typical_stat = {c: typical_statistic(c, prepared.log_columns) for c in self.numeric}
        self.typical = {
            c: float(cleaned[c].median() if self.typical_stat[c] == "median" else self.mean[c])
            for c in self.numeric
        }
        self.labels = feature_labels(prepared)
        self.categories = {
            c: cleaned[c].astype(object).where(cleaned[c].notna(), MISSING).astype(str)
            for c in self.categorical
        }
        self.category_shares = {
            c: values.value_counts(normalize=True) for c, values in self.categories.items()
        }
        self.value_columns = value_columns(self.numeric, config.value_columns)
        self.value: pd.Series | None = None
        if self.value_columns:
            value = cleaned[self.value_columns].sum(axis=1, min_count=1).fillna(0.0)
            if float(value.sum()) > 0:
                self.value = value
            else:
                logger.warning(
                    "Value columns %s sum to zero or less; share of value not reported",
                    ", ".join(self.value_columns),
                )
        self.semantic = semantic_columns(
            self.numeric, {str(k): v for k, v in config.columns.items()}
        )
        self.value_log: np.ndarray | None = None
        if self.value is not None:
            # Value is money: compare segments on a log scale so a few whales do not
            # make every other segment look "low".
            self.value_log = np.log1p(self.value.clip(lower=0).to_numpy())
            self.semantic.setdefault("spending", VALUE_FEATURE)
        # A birth year is an age to the rules too ("@age mean_below 30").
        self.age_from = next(
            (c for c, label in self.labels.items() if label.offset is not None), None
        )
        if self.age_from is not None and "age" not in self.semantic:
            self.semantic["age"] = AGE_FEATURE
        self.kind = data_kind(self.numeric + self.categorical)
        self.implausible = _implausible(cleaned, self.labels, self.value_columns)
        # Who the unusual customers are, one by one: the best tenth by value, or none.
        self.negligible = np.zeros(len(cleaned), dtype=bool)
        self.top_value = np.zeros(len(cleaned), dtype=bool)
        if self.value is not None:
            amounts = self.value.to_numpy(dtype=float)
            self.negligible = amounts <= 0
            self.top_value = (amounts >= np.quantile(amounts, TOP_QUANTILE)) & (amounts > 0)

    def z(self, members: np.ndarray, row: dict[str, object]) -> dict[str, float]:
        """Standardised differences that agree with the figures shown beside them.

        A difference whose sign disagrees with the typical figure's (a segment of a
        few whales and many small customers: higher mean, lower median) is no clear
        difference, and counts as 0.
        """
        z = self.standardiser.z(members)
        effects = {}
        for column, value in zip(self.z_columns, z, strict=True):
            typical = row.get(f"{column}_{self.typical_stat[column]}")
            gap = float(typical) - self.typical[column] if typical is not None else np.nan  # type: ignore[arg-type]
            effects[column] = float(value) if np.sign(gap) == np.sign(value) else 0.0
        return effects

    def figure(self, column: str, row: dict[str, object]) -> tuple[str, str]:
        """Return the segment's and everyone's typical figure of a feature, for people."""
        label = self.labels[column]
        segment = float(row[f"{column}_{self.typical_stat[column]}"])  # type: ignore[arg-type]
        return label.figure(segment), label.figure(self.typical[column])

    def value_facts(self, members: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
        """Standardised difference and mean of the customer value, for the rules."""
        if self.value is None or self.value_log is None:
            return {}, {}
        std = float(self.value_log.std()) or 1.0
        z = (float(self.value_log[members].mean()) - float(self.value_log.mean())) / std
        return {VALUE_FEATURE: z}, {VALUE_FEATURE: float(self.value[members].mean())}

    def value_label(self) -> str:
        if len(self.value_columns) == 1:
            return display_name(self.value_columns[0]).lower()
        if all(display_name(c).lower().startswith("spend") for c in self.value_columns):
            return "total spend"  # MntWines, MntFruits, ...: "spend on wines", ...
        return "total value"


def _numeric_stats(row: dict[str, object], part: pd.DataFrame, columns: list[str]) -> None:
    for column in columns:
        values = part[column].dropna()
        present = len(values) > 0
        row[f"{column}_mean"] = float(values.mean()) if present else np.nan
        row[f"{column}_median"] = float(values.median()) if present else np.nan
        row[f"{column}_min"] = float(values.min()) if present else np.nan
        row[f"{column}_max"] = float(values.max()) if present else np.nan
        row[f"{column}_z"] = np.nan  # filled once the typical figures are known


def _categorical_stats(
    row: dict[str, object],
    population: _Population,
    members: np.ndarray,
    top_n: int,
) -> tuple[list[Driver], dict[str, tuple[str, float]]]:
    drivers, tops = [], {}
    for column in population.categorical:
        overall = population.category_shares[column]
        shares = population.categories[column][members].value_counts(normalize=True)
        lift = shares / overall.reindex(shares.index)
        top = str(shares.index[0])
        row[f"{column}_top"] = top
        row[f"{column}_top_share"] = float(shares.iloc[0])
        row[f"{column}_top_lift"] = float(lift.iloc[0])
        row[f"{column}_mix"] = "; ".join(
            f"{value} {_percent(share)} (x{lift_of:.2f})"
            for (value, share), lift_of in zip(
                shares.head(top_n).items(), lift.head(top_n), strict=True
            )
        )
        tops[column] = (top, float(lift.iloc[0]))
        # Standardised difference of each value's 0/1 indicator. The most over-represented
        # value describes the segment ("more Online"); some value is always at or above
        # its overall share, since shares sum to one.
        full = shares.reindex(overall.index, fill_value=0.0)
        spread = (overall * (1 - overall)) ** 0.5
        z = ((full - overall) / spread.where(spread > 0)).dropna()
        if len(z):
            strongest = int(np.argmax(z.to_numpy()))
            drivers.append(Driver(column, float(z.iloc[strongest]), str(z.index[strongest])))
    return drivers, tops


def _phrase(
    driver: Driver,
    population: _Population,
    row: dict[str, object],
    shares: dict[tuple[str, str], float],
) -> str:
    strength = "much " if abs(driver.z) >= 1.5 else ""
    if driver.value is None:
        feature = population.labels[driver.feature]
        direction = "higher" if feature.direction(driver.z) > 0 else "lower"
        segment, overall = population.figure(driver.feature, row)
        statistic = population.typical_stat[driver.feature]
        return f"{strength}{direction} {feature.words} ({statistic} {segment} vs {overall})"
    label = display_name(driver.feature).lower()
    direction = "more" if driver.z > 0 else "fewer"
    overall_share = float(population.category_shares[driver.feature].get(driver.value, 0.0))
    segment_share = shares.get((driver.feature, driver.value), 0.0)
    who = category_words(driver.feature, driver.value) or f"customers with {label} {driver.value}"
    return f"{strength}{direction} {who} ({_percent(segment_share)} vs {_percent(overall_share)})"


def _describe(
    segment: int,
    row: dict[str, object],
    drivers: list[Driver],
    population: _Population,
    shares: dict[tuple[str, str], float],
    members: np.ndarray,
) -> str:
    size, share = int(row["size"]), float(row["share"])  # type: ignore[call-overload, arg-type]
    if segment == UNUSUAL_SEGMENT:
        opening = (
            f"{_customers(size)} ({_percent(share)}) flagged as outliers when cleaning, "
            "described apart so they do not distort the segments (each keeps its nearest "
            "segment in segments.csv)"
        )
    elif segment == -1:
        opening = (
            f"{_customers(size)} ({_percent(share)}) that DBSCAN could not place in any dense group"
        )
    else:
        opening = f"{_customers(size)} ({_percent(share)} of all)"
    if "value_share" in row:
        opening += f", bringing {_percent(float(row['value_share']))} of {population.value_label()}"  # type: ignore[arg-type]
    if segment < 0 and population.value is not None:
        opening += _who_they_are(population, members)
    strong = [d for d in drivers if abs(d.z) >= 0.5][:3]
    if not strong:
        slight = [d for d in drivers if abs(d.z) >= SLIGHT][:2]
        if not slight:
            return opening + ". Close to the average customer on every feature."
        phrases = [_phrase(d, population, row, shares) for d in slight]
        return f"{opening}. Close to the average customer; slightly {', '.join(phrases)}."
    phrases = [_phrase(d, population, row, shares) for d in strong]
    return f"{opening}. Compared with all customers: {', '.join(phrases)}."


def _key_figures(z: dict[str, float], row: dict[str, object], population: _Population) -> str:
    columns = sorted(z, key=lambda c: -abs(z[c]))[:3]
    parts = []
    for column in columns:
        segment, overall = population.figure(column, row)
        median = " (median)" if population.typical_stat[column] == "median" else ""
        parts.append(f"{population.labels[column].title}{median}: {segment} (all: {overall})")
    return "; ".join(parts)


def _facts(
    z: dict[str, float],
    row: dict[str, object],
    tops: dict[str, tuple[str, float]],
    drivers: list[Driver],
    population: _Population,
    shares: dict[tuple[str, str], float],
    members: np.ndarray,
) -> SegmentFacts:
    categorical = [d for d in drivers if d.value is not None and d.z > 0]
    category = None
    if categorical:
        best = max(categorical, key=lambda d: d.z)
        overall = float(population.category_shares[best.feature].get(best.value, 0.0))
        segment_share = shares.get((best.feature, str(best.value)), 0.0)
        category = (best.feature, str(best.value), segment_share / overall if overall else 0.0)
    positive = {c: v for c, v in z.items() if v > 0}
    value_index = None
    if "value_share" in row and float(row["share"]) > 0:  # type: ignore[arg-type]
        value_index = float(row["value_share"]) / float(row["share"])  # type: ignore[arg-type]
    value_z, value_mean = population.value_facts(members)
    if population.age_from is not None:
        label = population.labels[population.age_from]
        value_z[AGE_FEATURE] = label.direction(z.get(population.age_from, 0.0))
        value_mean[AGE_FEATURE] = label.shown(float(row[f"{population.age_from}_mean"]))  # type: ignore[arg-type]
    return SegmentFacts(
        z={**z, **value_z},
        mean={
            **{c: float(row[f"{c}_mean"]) for c in population.numeric},  # type: ignore[arg-type]
            **value_mean,
        },
        top=tops,
        semantic=population.semantic,
        value_index=value_index,
        category=category,
        driver=max(positive, key=lambda c: positive[c]) if positive else None,
        category_group=category_words(*category[:2]) if category else None,
        kind=population.kind,
        implausible=float(population.implausible[members].mean()) if members.any() else 0.0,
        negligible=float(population.negligible[members].mean()) if members.any() else 0.0,
        top_share=float(population.top_value[members].mean()) if members.any() else 0.0,
    )


def profile_segments(
    prepared: PreparedData,
    method: str,
    labels: np.ndarray,
    config: ProfilesConfig | None = None,
    *,
    carried_names: dict[int, str] | None = None,
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

    Returns
    -------
    SegmentProfiles
    """
    config = config or ProfilesConfig()
    population = _Population(prepared, config)
    cleaned = prepared.cleaned
    groups = profile_groups(labels, prepared.fit_mask)
    present = set(np.unique(groups).tolist())
    order = sorted(g for g in present if g >= 0) + [
        g for g in (-1, UNUSUAL_SEGMENT) if g in present
    ]
    rows, contrast_rows, notes = [], {}, {}
    drivers: dict[int, tuple[Driver, ...]] = {}
    facts: dict[int, SegmentFacts] = {}
    shares: dict[int, dict[tuple[str, str], float]] = {}
    zs: dict[int, dict[str, float]] = {}
    for group in order:
        members = groups == group
        row: dict[str, object] = {
            "method": method,
            "segment": group,
            "size": int(members.sum()),
            "share": float(members.mean()),
        }
        if population.value is not None:
            row["value_share"] = float(population.value[members].sum() / population.value.sum())
        # Outcomes (campaign results) are described, never segmented on.
        row.update(outcome_means(prepared.outcomes, members))
        _numeric_stats(row, cleaned.loc[members], population.numeric)
        z = zs[group] = population.z(members, row)
        row.update({f"{c}_z": z.get(c, np.nan) for c in population.numeric})
        categorical_drivers, tops = _categorical_stats(
            row, population, members, config.top_categories
        )
        shares[group] = {
            (c, str(v)): float(s)
            for c in population.categorical
            for v, s in population.categories[c][members].value_counts(normalize=True).items()
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
        facts[group] = _facts(z, row, tops, categorical_drivers, population, shares[group], members)
        facts[group] = dataclasses.replace(
            facts[group], outcomes=outcome_facts(prepared.outcomes, members)
        )
        if group >= 0:
            contrast_rows[group] = z
        rows.append(row)
    contrasts = pd.DataFrame.from_dict(contrast_rows, orient="index", columns=population.z_columns)
    names = name_segments(contrasts, notes, population.labels)
    for segment, name in (carried_names or {}).items():
        if segment in names:
            names[segment] = name
    taken = {names[s] for s in carried_names or {} if s in names}
    for segment in names:
        if segment not in (carried_names or {}) and names[segment] in taken:
            names[segment] += " (new)"
    recommendations: dict[int, tuple[tuple[str, str], ...]] = {}
    for group in (g for g in order if g < 0):
        label, actions = match_unusual(facts[group], config)
        recommendations[group] = tuple(actions)
        names[group] = unusual_name(group, label, zs[group], population.labels)
    names = {g: names[g] for g in order}
    descriptions = {}
    for row in rows:
        group = int(row["segment"])  # type: ignore[call-overload]
        descriptions[group] = _describe(
            group, row, list(drivers[group]), population, shares[group], groups == group
        )
        if group >= 0:
            recommendations[group] = tuple(match_rules(facts[group], config))
        row["name"] = names[group]
        row["description"] = descriptions[group]
        row["key_figures"] = _key_figures(zs[group], row, population)
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
