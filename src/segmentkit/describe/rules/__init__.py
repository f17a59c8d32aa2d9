"""Segment rules: a few thresholds per segment, on the customers' own columns.

A shallow decision tree learns each segmentation from the original columns
(:mod:`~segmentkit.describe.rules.fit`, which describes every step); the tree itself, grown,
cut back, rounded and merged, is in :mod:`~segmentkit.describe.rules.tree`; its leaves become
paths of conditions in :mod:`~segmentkit.describe.rules.paths`; the rules as data (conditions,
paths, the ``segment_rules.csv`` table) are in :mod:`~segmentkit.describe.rules.model`, and as
SQL in :mod:`~segmentkit.describe.rules.sql`.
"""

from __future__ import annotations

from segmentkit.describe.rules.fit import (
    MAX_FIT_ROWS,
    TOLERANCE,
    fit_rules,
    input_spellings,
    missing_fills,
    segment_rules,
)
from segmentkit.describe.rules.model import (
    DATE_OPS,
    Condition,
    RulePath,
    SegmentRules,
    plain_number,
    share_text,
)

__all__ = [
    "DATE_OPS",
    "MAX_FIT_ROWS",
    "TOLERANCE",
    "Condition",
    "RulePath",
    "SegmentRules",
    "fit_rules",
    "input_spellings",
    "missing_fills",
    "plain_number",
    "segment_rules",
    "share_text",
]
