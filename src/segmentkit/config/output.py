"""How the output folder is written: the output section."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from segmentkit.config.section import Section

__all__ = ["OutputConfig"]


class OutputConfig(Section):
    """The form of the one large output file, and the database table written back."""

    format: Literal["csv", "parquet"] = Field(
        "csv",
        description=(
            "Form of the customers' segments: 'csv' writes segments.csv; 'parquet' writes "
            "segments.parquet instead (same columns with their types; several times faster "
            "to write and read for millions of customers). The other tables stay CSV."
        ),
    )
    table: str | None = Field(
        None,
        description=(
            "Also write one row per customer (id, segments, confidence, is_outlier, run_id, "
            "segmented_at) to this table (or schema.table) of the input database, or of "
            "--to-db (--to-table)."
        ),
    )
    if_exists: Literal["fail", "replace", "append"] = Field(
        "fail",
        description=(
            "When output.table exists: 'fail' (default), 'replace' (swapped in by one "
            "transaction) or 'append'."
        ),
    )
    rules_view: str | None = Field(
        None,
        description=(
            "With output.table, in the input database: also create this view, which applies "
            "segment_rules.sql to the input table or query, so that new customers are "
            "segmented inside the database (--rules-view)."
        ),
    )
