"""What a backend plugs into the one orchestration: its work on every input row.

Both backends run the same stages (:func:`segmentkit.api.segment_frame`): prepare,
segment with every method, choose one, explain, profile, write. They differ only where
the customers in memory are not all the customers:

- **fit on all rows** (:meth:`RowBackend.fit_all_rows`), after every method has segmented
  the rows in memory and before anything describes the segments: the Dask backend
  refits K-Means on every row of its input, then the pipeline chooses, explains and
  profiles the results once;
- **assign all rows** (:meth:`RowBackend.assign_all_rows`), the first thing written into
  the output folder: the segment of every input row, and what ``run.json`` says of them.

The local backend is the default (``rows=None`` everywhere): its rows in memory are all
the rows, nothing is refitted, and ``segments.csv`` (with ``dropped_rows.csv``) holds
them (:func:`segmentkit.output.export.write_input_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from segmentkit.config import Config
    from segmentkit.methods import MethodResult
    from segmentkit.pipeline import SegmentationRun
    from segmentkit.prepare.transformer import PreparedData

__all__ = ["AssignedRows", "RowBackend"]


@dataclass(frozen=True)
class AssignedRows:
    """Every input row placed in a segment, as the output folder records it.

    Attributes
    ----------
    run : SegmentationRun
        The run to write; the Dask backend's profiles gain ``population_size`` and
        ``population_share`` (every customer), the local backend's are unchanged.
    rows : dict or None
        ``run.json`` → ``rows`` when the input rows are not the run's own (``None``: the
        prepared data's row counts).
    segment_sizes : dict or None
        Method to ``{segment: customers}`` over every input row; ``run.json`` then keeps
        the run's own sizes as ``sample_segment_sizes`` (``None``: the run's own sizes).
    sections : dict
        Further top-level ``run.json`` sections, written after the usual ones (the Dask
        backend's ``dask``).
    """

    run: SegmentationRun
    rows: dict[str, Any] | None = None
    segment_sizes: dict[str, dict[int, int]] | None = None
    sections: dict[str, Any] = field(default_factory=dict)


class RowBackend(Protocol):
    """A backend's work on the input rows beyond the ones the pipeline holds in memory."""

    def fit_all_rows(
        self, prepared: PreparedData, results: dict[str, MethodResult], config: Config
    ) -> dict[str, MethodResult]:
        """Return ``results`` with what is fitted on every input row in place.

        Called once every method has segmented ``prepared`` and before the method is
        chosen; each result's ``labels`` stay those of the prepared rows, ``metrics``
        judge them, and ``assigner`` places any customer.
        """
        ...

    def assign_all_rows(self, run: SegmentationRun, folder: Path) -> AssignedRows:
        """Write the segment of every input row into ``folder``; return what was assigned.

        ``folder`` is the output folder being written (temporary until complete).
        """
        ...
