"""How the output folder is written: the output section."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from segmentkit.config.section import Section

__all__ = ["OutputConfig"]


class OutputConfig(Section):
    """The form of the one large output file."""

    format: Literal["csv", "parquet"] = Field(
        "csv",
        description=(
            "Form of the customers' segments: 'csv' writes segments.csv; 'parquet' writes "
            "segments.parquet instead (same columns with their types; several times faster "
            "to write and read for millions of customers). The other tables stay CSV."
        ),
    )
