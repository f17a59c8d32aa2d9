"""From a raw customer table to the numeric matrix the methods see.

Roles, cleaning, outliers and the ColumnTransformer.
"""

from __future__ import annotations

from segmentkit.prepare.transformer import (
    PreparedData,
    category_weight,
    iqr_outliers,
    prepare,
)

__all__ = [
    "PreparedData",
    "category_weight",
    "iqr_outliers",
    "prepare",
]
