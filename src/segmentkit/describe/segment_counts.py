"""Customers per segment as ``segments.csv`` counts them, beside what the profiles describe.

Under the outlier policy ``flag`` a flagged outlier keeps its nearest segment in
``segments.csv`` (``is_outlier = true``) but is described apart, in the ``-2`` profile
"Unusual customers (outliers)", so that a few extreme customers do not bend a
segment's figures. A segment's profile ``size`` is then smaller than the number of
customers ``segments.csv`` gives it. The terminal table and the report show the number
found in the file, and how many of those customers are described apart, from
:func:`segment_counts`; nobody has to reconcile the two by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from segmentkit.text import plural

__all__ = ["SegmentCount", "distinct_segments", "segment_counts", "segment_sizes", "summary_sizes"]

#: Profile number of flagged outliers described apart (as in :mod:`segmentkit.describe.profiles`).
_OUTLIERS = -2


@dataclass(frozen=True)
class SegmentCount:
    """The customers of one profile row, as ``segments.csv`` counts them.

    Attributes
    ----------
    segment : int
        The profile's segment (``-1`` noise, ``-2`` outliers described apart).
    customers : int
        Customers with this segment in ``segments.csv``; for ``-2``, the outliers it
        describes, who are counted in their own segments there.
    share : float
        ``customers`` as a share of every customer.
    unusual : int
        Of ``customers``, the flagged outliers described in the ``-2`` profile
        rather than in this one (``size`` is ``customers - unusual``).
    counted_elsewhere : bool
        The ``-2`` row: its customers are already counted in their segments.
    """

    segment: int
    customers: int
    share: float
    unusual: int = 0
    counted_elsewhere: bool = False

    def note(self) -> str:
        """Return how this count relates to the profile, or ``""`` when it is the same.

        Examples
        --------
        >>> SegmentCount(0, 83, 0.415, unusual=2).note()
        'of which 2 unusual (described apart, in segment -2)'
        >>> SegmentCount(-2, 5, 0.025, counted_elsewhere=True).note()
        'each also counted in its nearest segment'
        """
        if self.counted_elsewhere:
            return "each also counted in its nearest segment"
        if self.unusual:
            return f"of which {self.unusual:,} unusual (described apart, in segment -2)"
        return ""

    def customers_text(self) -> str:
        """Return the count with its noun, e.g. ``"1 customer"``, ``"83 customers"``."""
        return plural(self.customers, "customer")


#: Widest span of segment numbers counted in one pass (wider: sorted, as numpy does).
_COUNTED_SPAN = 1 << 16


def distinct_segments(labels: np.ndarray) -> np.ndarray:
    """Return ``numpy.unique(labels)`` for segment numbers, by counting instead of sorting.

    Segment numbers are a few small integers: one pass that counts them gives the same
    sorted values as sorting every customer (a second per call at 10,000,000).

    Examples
    --------
    >>> distinct_segments(np.array([3, -1, 0, 3, -2])).tolist()
    [-2, -1, 0, 3]
    """
    return _counted(np.asarray(labels))[0]


def segment_sizes(labels: np.ndarray) -> dict[int, int]:
    """Return customers per segment of one method's labels (what ``segments.csv`` holds).

    Counted, not sorted: a second per method at 10,000,000 customers.

    Examples
    --------
    >>> segment_sizes(np.array([0, 1, 0, -1]))
    {-1: 1, 0: 2, 1: 1}
    """
    segments, counts = _counted(np.asarray(labels, dtype=int))
    return {int(s): int(n) for s, n in zip(segments, counts, strict=True)}


def _counted(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``numpy.unique(labels, return_counts=True)``, in one counting pass where it can."""
    if labels.dtype.kind not in "iu" or labels.size == 0:
        return np.unique(labels, return_counts=True)
    low, high = int(labels.min()), int(labels.max())
    if high - low >= _COUNTED_SPAN:
        return np.unique(labels, return_counts=True)
    counts = np.bincount(labels.astype(np.int64, copy=False) - low, minlength=high - low + 1)
    present = np.flatnonzero(counts)
    return (present + low).astype(labels.dtype), counts[present]


def summary_sizes(method: Mapping[str, Any]) -> dict[int, int] | None:
    """Return a method's customers per segment from its ``run.json`` entry.

    ``sample_segment_sizes`` (the Dask backend, whose profiles describe a sample) is
    preferred to ``segment_sizes``, so that the counts match the profiles beside them.
    """
    sizes = method.get("sample_segment_sizes") or method.get("segment_sizes")
    if not isinstance(sizes, Mapping):
        return None
    try:
        return {int(k): int(v) for k, v in sizes.items()}
    except (TypeError, ValueError):
        return None


def segment_counts(
    profiles: pd.DataFrame, sizes: Mapping[int, int] | None
) -> dict[int, SegmentCount]:
    """Return, for every profile row, its customers as ``segments.csv`` counts them.

    Parameters
    ----------
    profiles : pandas.DataFrame
        One method's rows of ``segment_profiles.csv`` (``segment``, ``size``); their
        sizes add up to every customer.
    sizes : mapping or None
        Customers per segment in ``segments.csv`` (:func:`segment_sizes`); ``None``
        (an output folder that does not record them) takes the profile sizes.

    Returns
    -------
    dict
        Segment to :class:`SegmentCount`, in the profiles' order.

    Examples
    --------
    >>> profiles = pd.DataFrame({"segment": [0, 1, -2], "size": [81, 39, 5]})
    >>> counts = segment_counts(profiles, {0: 83, 1: 42})
    >>> [(c.customers, c.unusual, c.counted_elsewhere) for c in counts.values()]
    [(83, 2, False), (42, 3, False), (5, 0, True)]
    """
    total = int(pd.to_numeric(profiles["size"]).sum())
    counts = {}
    for segment, size in zip(profiles["segment"], profiles["size"], strict=True):
        segment, size = int(segment), int(size)
        elsewhere = segment == _OUTLIERS
        customers = size if elsewhere or sizes is None else int(sizes.get(segment, size))
        counts[segment] = SegmentCount(
            segment,
            customers,
            customers / total if total else 0.0,
            unusual=0 if elsewhere else max(customers - size, 0),
            counted_elsewhere=elsewhere,
        )
    return counts
