"""Automatic segment names: the strongest contrasts of a profile, in words.

A segment is named by the one or two features it differs most on, at least half a
standard deviation from all customers ("Low spend on meat products · High number of store
purchases"), in the quantity people think in (:mod:`segmentkit.describe.labels`: "Older
customers", "Long-standing customers"); by a category it is mostly made of when only
categories differ ("Mostly households with one child at home"); else "Average
customers". Unusual customers (outliers ``-2``, DBSCAN noise ``-1``) are named by what a
rule says they are ("Top customers (outliers)") or by their strongest features. Names
people choose replace these afterwards (:mod:`segmentkit.describe.segment_names`).
"""

from __future__ import annotations

import pandas as pd

from segmentkit.describe.labels import FeatureLabel

__all__ = ["NOISE_NAME", "OUTLIER_NAME", "name_segments", "unusual_name"]

NOISE_NAME = "Unusual customers (noise)"
OUTLIER_NAME = "Unusual customers (outliers)"


#: Below "High" / "Low" (half a standard deviation), a difference still worth naming.
SLIGHT = 0.25


def _slight(z: dict[str, float], labels: dict[str, FeatureLabel]) -> list[str]:
    """Name a segment close to average by its largest difference, or "Average customers"."""
    column = max(z, key=lambda c: abs(z[c]), default=None)
    if column is None or abs(z[column]) < SLIGHT:
        return ["Average customers"]
    label = labels[column]
    level = "Above-average" if label.direction(z[column]) > 0 else "Below-average"
    part = label.level_name(level)
    return [part[0].upper() + part[1:]]


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


def _level_part(column: str, z: float, labels: dict[str, FeatureLabel]) -> str:
    """One feature's part of a name: "High spend on wines", "Older customers"."""
    label = labels[column]
    part = label.level_name(_level_words(label.direction(z)))
    return part[0].upper() + part[1:]


def _strong_parts(z: dict[str, float], labels: dict[str, FeatureLabel], count: int) -> list[str]:
    """Name parts of the ``count`` features a group differs most on (at least 0.5 sd)."""
    ordered = sorted((c for c in z if abs(z[c]) >= 0.5), key=lambda c: -abs(z[c]))
    parts: list[str] = []
    for column in ordered:
        part = _level_part(column, z[column], labels)
        if part not in parts:  # "Older customers" from both age and birth year
            parts.append(part)
    return parts[:count]


def name_segments(
    contrasts: pd.DataFrame,
    categorical_notes: dict[int, list[str]],
    labels: dict[str, FeatureLabel],
) -> dict[int, str]:
    """Name every segment (``>= 0``) of one method; names are unique within it.

    Parameters
    ----------
    contrasts : pandas.DataFrame
        Segment × numeric feature standardised differences that agree with the figures
        shown (the profiles' ``_z``).
    categorical_notes : dict
        Segment to "Mostly ..." notes, used when no numeric feature stands out.
    labels : dict
        Feature to how it reads (:func:`segmentkit.describe.labels.feature_label`).

    Returns
    -------
    dict
        Segment number to name; when two would clash, another contrast, then a number,
        is added.
    """
    names: dict[int, str] = {}
    taken: set[str] = set()
    for segment in contrasts.index:
        row = contrasts.loc[segment]
        ordered = row.abs().sort_values(ascending=False, kind="stable")
        strong = [c for c in ordered.index if abs(row[c]) >= 0.5]
        parts = _strong_parts(row.to_dict(), labels, 2)
        if not parts:
            parts = categorical_notes.get(segment, [])[:1] or _slight(row.to_dict(), labels)
        name = " · ".join(p[0].upper() + p[1:] for p in parts)
        extra = iter(list(strong[2:]) + [c for c in ordered.index if c not in strong])
        while name in taken:
            column = next(extra, None)
            if column is None:
                break
            name += f" · {_level_part(column, row[column], labels)}"
        suffix = 2
        base = name
        while name in taken:
            name = f"{base} ({suffix})"
            suffix += 1
        taken.add(name)
        names[segment] = name
    return names


def unusual_name(
    group: int, label: str | None, z: dict[str, float], labels: dict[str, FeatureLabel]
) -> str:
    """Name outliers (``-2``) or noise (``-1``) by what they are, not by how they were found.

    A rule's label comes first ("Top customers (outliers)"); else the features they
    differ most on ("Unusual customers (outliers): very high income"); else the plain name.
    """
    kind = "noise" if group == -1 else "outliers"
    if label:
        return f"{label} ({kind})"
    parts = _strong_parts(z, labels, 2)
    if parts:
        return f"Unusual customers ({kind}): " + ", ".join(p[0].lower() + p[1:] for p in parts)
    return NOISE_NAME if group == -1 else OUTLIER_NAME
