"""Per-segment profiles in the data's own units, and short names from their contrasts.

Numbers come from the cleaned table (original units: money stays money, dates are days
before the latest date). Contrasts are standardised mean differences on the scale the
model saw (after any log transform and scaling), so "much higher than average" is a
number that does not depend on the column's units.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentkit.prepare import PreparedData

__all__ = ["SegmentProfiles", "display_name", "profile_segments"]

logger = logging.getLogger(__name__)

NOISE_NAME = "Unusual customers (noise)"


def display_name(column: str) -> str:
    """Return a column name fit for a segment name: words split, units in brackets removed.

    Examples
    --------
    >>> display_name("Annual Income (k$)")
    'Annual Income'
    >>> [display_name(c) for c in ["spending_score", "CASH_ADVANCE", "MntMeatProducts"]]
    ['Spending score', 'Cash advance', 'Mnt meat products']
    """
    text = re.sub(r"\s*[\(\[].*?[\)\]]", "", column).strip() or column
    if " " in text and not text.isupper():
        return text
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    words = [w for w in re.split(r"[\s_\-.]+", text) if w]
    sentence = " ".join(w.lower() for w in words)
    return sentence[:1].upper() + sentence[1:]


@dataclass(frozen=True)
class SegmentProfiles:
    """Profiles of every segment of one method.

    Attributes
    ----------
    method : str
        The method.
    table : pandas.DataFrame
        One row per segment: ``method, segment, name, size, share``, then per numeric
        feature ``<f>_mean/_median/_min/_max``, per categorical feature ``<f>_top`` and
        ``<f>_top_share``.
    contrasts : pandas.DataFrame
        Segment × numeric feature standardised mean differences.
    names : dict
        Segment number to name.
    """

    method: str
    table: pd.DataFrame
    contrasts: pd.DataFrame
    names: dict[int, str]


def _level(z: float) -> str:
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
        parts = [f"{_level(row[c])} {display_name(c).lower()}" for c in strong[:2]]
        if not parts:
            parts = categorical_notes.get(segment, [])[:1] or ["Average customers"]
        name = " · ".join(p[0].upper() + p[1:] for p in parts)
        extra = iter(list(strong[2:]) + [c for c in ordered.index if c not in strong])
        while name in taken:
            column = next(extra, None)
            if column is None:
                break
            name += f" · {_level(row[column])} {display_name(column).lower()}"
        suffix = 2
        base = name
        while name in taken:
            name = f"{base} ({suffix})"
            suffix += 1
        taken.add(name)
        names[segment] = name
    return names


def profile_segments(prepared: PreparedData, method: str, labels: np.ndarray) -> SegmentProfiles:
    """Describe every segment of one labelling.

    Parameters
    ----------
    prepared : PreparedData
        The cleaned data.
    method : str
        Method name, copied into the table.
    labels : numpy.ndarray of shape (n_kept,)
        Segment of every kept row, ``-1`` for noise.

    Returns
    -------
    SegmentProfiles
    """
    cleaned = prepared.cleaned
    numeric = prepared.numeric_features
    # Numeric columns map one-to-one to a model feature (possibly prefixed).
    model_index = {
        prepared.feature_origin[name]: i
        for i, name in enumerate(prepared.model_feature_names)
        if prepared.feature_origin[name] in numeric
    }
    z_columns = [c for c in numeric if c in model_index]
    z_all = prepared.X[:, [model_index[c] for c in z_columns]]
    segments = sorted(int(s) for s in np.unique(labels))
    rows, contrast_rows = [], {}
    categorical_notes: dict[int, list[str]] = {}
    for segment in segments:
        members = labels == segment
        part = cleaned.loc[members]
        row: dict[str, object] = {
            "method": method,
            "segment": segment,
            "size": int(members.sum()),
            "share": float(members.mean()),
        }
        for column in numeric:
            values = part[column]
            row[f"{column}_mean"] = float(values.mean()) if values.notna().any() else np.nan
            row[f"{column}_median"] = float(values.median()) if values.notna().any() else np.nan
            row[f"{column}_min"] = float(values.min()) if values.notna().any() else np.nan
            row[f"{column}_max"] = float(values.max()) if values.notna().any() else np.nan
        notes = []
        for column in prepared.categorical_features:
            counts = part[column].value_counts(normalize=True, sort=True)
            top = str(counts.index[0]) if len(counts) else ""
            share = float(counts.iloc[0]) if len(counts) else np.nan
            row[f"{column}_top"] = top
            row[f"{column}_top_share"] = share
            overall = float((cleaned[column] == top).mean()) if top else 0.0
            if top and share >= 0.6 and overall > 0 and share / overall >= 1.5:
                notes.append(f"Mostly {top} ({display_name(column).lower()})")
        categorical_notes[segment] = notes
        rows.append(row)
        if segment >= 0:
            contrast_rows[segment] = z_all[members].mean(axis=0)
    contrasts = pd.DataFrame.from_dict(contrast_rows, orient="index", columns=z_columns)
    names = _name_segments(contrasts, categorical_notes)
    if -1 in segments:
        names[-1] = NOISE_NAME
    table = pd.DataFrame(rows)
    table.insert(2, "name", table["segment"].map(names))
    return SegmentProfiles(method, table, contrasts, names)
