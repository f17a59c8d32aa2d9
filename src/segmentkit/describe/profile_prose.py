"""The profiles in words: a segment's description and its key figures.

"42 customers (11% of all), bringing 30% of total spend. Compared with all customers: much
higher income (mean 86 k$ vs 60 k$), ..." -- each figure the typical one the model compares
(:func:`~segmentkit.describe.profile_statistics.typical_statistic`).
"""

from __future__ import annotations

import numpy as np

from segmentkit.describe.labels import category_words
from segmentkit.describe.naming import SLIGHT
from segmentkit.describe.profile_population import Population
from segmentkit.describe.profile_statistics import UNUSUAL_SEGMENT, Driver, percent
from segmentkit.text import display_name

__all__ = ["describe_segment", "key_figures"]


def _who_they_are(population: Population, members: np.ndarray) -> str:
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


def _phrase(
    driver: Driver,
    population: Population,
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
    return f"{strength}{direction} {who} ({percent(segment_share)} vs {percent(overall_share)})"


def describe_segment(
    segment: int,
    row: dict[str, object],
    drivers: list[Driver],
    population: Population,
    shares: dict[tuple[str, str], float],
    members: np.ndarray,
) -> str:
    """Return a segment's description: its size and share, then what sets it apart."""
    size, share = int(row["size"]), float(row["share"])  # type: ignore[call-overload, arg-type]
    if segment == UNUSUAL_SEGMENT:
        opening = (
            f"{_customers(size)} ({percent(share)}) flagged as outliers when cleaning, "
            "described apart so they do not distort the segments (each keeps its nearest "
            "segment in segments.csv)"
        )
    elif segment == -1:
        opening = (
            f"{_customers(size)} ({percent(share)}) that DBSCAN could not place in any dense group"
        )
    else:
        opening = f"{_customers(size)} ({percent(share)} of all)"
    if "value_share" in row:
        opening += f", bringing {percent(float(row['value_share']))} of {population.value_label()}"  # type: ignore[arg-type]
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


def key_figures(z: dict[str, float], row: dict[str, object], population: Population) -> str:
    """Return the segment's and everyone's typical figure of its three strongest features."""
    columns = sorted(z, key=lambda c: -abs(z[c]))[:3]
    parts = []
    for column in columns:
        segment, overall = population.figure(column, row)
        median = " (median)" if population.typical_stat[column] == "median" else ""
        parts.append(f"{population.labels[column].title}{median}: {segment} (all: {overall})")
    return "; ".join(parts)
