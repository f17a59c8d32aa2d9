"""What the action rules read about a segment: its profile as :class:`SegmentFacts`."""

from __future__ import annotations

import numpy as np

from segmentkit.describe.actions import SegmentFacts
from segmentkit.describe.labels import category_words
from segmentkit.describe.profile_population import AGE_FEATURE, Population
from segmentkit.describe.profile_statistics import Driver

__all__ = ["segment_facts"]


def _share(flags: np.ndarray, members: np.ndarray) -> float:
    """Return the share of ``members`` (positions or a mask) flagged; 0 for no members."""
    chosen = flags[members]
    return float(chosen.mean()) if len(chosen) else 0.0


def segment_facts(
    z: dict[str, float],
    row: dict[str, object],
    tops: dict[str, tuple[str, float]],
    drivers: list[Driver],
    population: Population,
    shares: dict[tuple[str, str], float],
    members: np.ndarray,
) -> SegmentFacts:
    """Return what the action rules may read about one segment (or unusual group).

    ``members`` are the positions of its customers, ascending (or a mask of them).
    """
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
        implausible=_share(population.implausible, members),
        negligible=_share(population.negligible, members),
        top_share=_share(population.top_value, members),
    )
