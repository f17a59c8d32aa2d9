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

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentkit.actions import (
    VALUE_FEATURE,
    SegmentFacts,
    match_rules,
    semantic_columns,
    value_columns,
)
from segmentkit.config import ProfilesConfig
from segmentkit.prepare import PreparedData
from segmentkit.text import display_name, format_number

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

NOISE_NAME = "Unusual customers (noise)"
OUTLIER_NAME = "Unusual customers (outliers)"
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
        """
        label = self.feature if self.value is None else f"{self.feature} = {self.value}"
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
        ``<f>_mix`` (the most common values with share and lift).
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


def _level_words(z: float) -> str:
    if z >= 1.5:
        return "Very high"
    if z >= 0.5:
        return "High"
    if z <= -1.5:
        return "Very low"
    if z <= -0.5:
        return "Low"
    return "Average"


def _name_segments(
    contrasts: pd.DataFrame, categorical_notes: dict[int, list[str]]
) -> dict[int, str]:
    names: dict[int, str] = {}
    taken: set[str] = set()
    for segment in contrasts.index:
        row = contrasts.loc[segment]
        ordered = row.abs().sort_values(ascending=False, kind="stable")
        strong = [c for c in ordered.index if abs(row[c]) >= 0.5]
        parts = [f"{_level_words(row[c])} {display_name(c).lower()}" for c in strong[:2]]
        if not parts:
            parts = categorical_notes.get(segment, [])[:1] or ["Average customers"]
        name = " · ".join(p[0].upper() + p[1:] for p in parts)
        extra = iter(list(strong[2:]) + [c for c in ordered.index if c not in strong])
        while name in taken:
            column = next(extra, None)
            if column is None:
                break
            name += f" · {_level_words(row[column])} {display_name(column).lower()}"
        suffix = 2
        base = name
        while name in taken:
            name = f"{base} ({suffix})"
            suffix += 1
        taken.add(name)
        names[segment] = name
    return names


def _customers(count: int) -> str:
    return f"{count:,} customer" + ("" if count == 1 else "s")


def _percent(share: float) -> str:
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

    def z(self, members: np.ndarray) -> dict[str, float]:
        z = self.standardiser.z(members)
        return {c: float(v) for c, v in zip(self.z_columns, z, strict=True)}

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
        return "total value"


def _numeric_stats(
    row: dict[str, object], part: pd.DataFrame, z: dict[str, float], columns: list[str]
) -> None:
    for column in columns:
        values = part[column].dropna()
        present = len(values) > 0
        row[f"{column}_mean"] = float(values.mean()) if present else np.nan
        row[f"{column}_median"] = float(values.median()) if present else np.nan
        row[f"{column}_min"] = float(values.min()) if present else np.nan
        row[f"{column}_max"] = float(values.max()) if present else np.nan
        row[f"{column}_z"] = z.get(column, np.nan)


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
    label = display_name(driver.feature).lower()
    if driver.value is None:
        direction = "higher" if driver.z > 0 else "lower"
        mean = format_number(float(row[f"{driver.feature}_mean"]))  # type: ignore[arg-type]
        overall = format_number(population.mean[driver.feature])
        return f"{strength}{direction} {label} (mean {mean} vs {overall})"
    direction = "more" if driver.z > 0 else "fewer"
    overall_share = float(population.category_shares[driver.feature].get(driver.value, 0.0))
    segment_share = shares.get((driver.feature, driver.value), 0.0)
    return (
        f"{strength}{direction} customers with {label} {driver.value} "
        f"({_percent(segment_share)} vs {_percent(overall_share)})"
    )


def _describe(
    segment: int,
    row: dict[str, object],
    drivers: list[Driver],
    population: _Population,
    shares: dict[tuple[str, str], float],
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
    strong = [d for d in drivers if abs(d.z) >= 0.5][:3]
    if not strong:
        return opening + ". Close to the average customer on every feature."
    phrases = [_phrase(d, population, row, shares) for d in strong]
    return f"{opening}. Compared with all customers: {', '.join(phrases)}."


def _key_figures(z: dict[str, float], row: dict[str, object], population: _Population) -> str:
    columns = sorted(z, key=lambda c: -abs(z[c]))[:3]
    return "; ".join(
        f"{c}: {format_number(float(row[f'{c}_mean']))} (all: {format_number(population.mean[c])})"  # type: ignore[arg-type]
        for c in columns
    )


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
        z = zs[group] = population.z(members)
        _numeric_stats(row, cleaned.loc[members], z, population.numeric)
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
            f"Mostly {top} ({display_name(c).lower()})"
            for c, (top, lift) in tops.items()
            if float(row[f"{c}_top_share"]) >= 0.6 and lift >= 1.5  # type: ignore[arg-type]
        ]
        facts[group] = _facts(z, row, tops, categorical_drivers, population, shares[group], members)
        if group >= 0:
            contrast_rows[group] = z
        rows.append(row)
    contrasts = pd.DataFrame.from_dict(contrast_rows, orient="index", columns=population.z_columns)
    names = _name_segments(contrasts, notes)
    for segment, name in (carried_names or {}).items():
        if segment in names:
            names[segment] = name
    taken = {names[s] for s in carried_names or {} if s in names}
    for segment in names:
        if segment not in (carried_names or {}) and names[segment] in taken:
            names[segment] += " (new)"
    names.update({-1: NOISE_NAME, UNUSUAL_SEGMENT: OUTLIER_NAME})
    names = {g: names[g] for g in order}
    descriptions, recommendations = {}, {}
    for row in rows:
        group = int(row["segment"])  # type: ignore[call-overload]
        descriptions[group] = _describe(group, row, list(drivers[group]), population, shares[group])
        if group >= 0:
            recommendations[group] = tuple(match_rules(facts[group], config))
        else:
            recommendations[group] = (("unusual", config.unusual_action),)
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
