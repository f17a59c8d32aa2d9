"""Which rows are kept: the id rules, the missing-value strategy, and the record of drops.

Every dropped row is noted as ``(position in the input, reason)`` in one list that
:func:`dropped_table` turns into the ``dropped`` table and :func:`count_rows` into the
row counts of ``run.json``.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import pandas as pd

from segmentkit.config import Config
from segmentkit.errors import DataError
from segmentkit.prepare.cleaning import CleaningStep, holds_whole_numbers
from segmentkit.prepare.prepared_data import ROW_COLUMN

__all__ = ["apply_id_rules", "count_rows", "drop_missing_rows", "drop_rows", "dropped_table"]

logger = logging.getLogger(__name__)

#: ``cleaning.duplicate_ids`` to the ``keep`` argument of ``Series.duplicated``: the rows
#: marked there are the ones dropped.
_DUPLICATES_DROPPED = {"keep_first": "first", "keep_last": "last", "drop_all": False}


def drop_rows(
    frame: pd.DataFrame, mask: pd.Series, reason: str, dropped: list[tuple[int, str]]
) -> pd.DataFrame:
    """Return ``frame`` without the ``mask`` rows, noting each in ``dropped`` with ``reason``.

    ``frame``'s index must be the rows' positions in the input table.
    """
    dropped.extend((int(pos), reason) for pos in frame.index[mask])
    count = int(mask.sum())
    if count:
        logger.warning("Dropped %d row(s): %s", count, reason)
    return frame.loc[~mask]


def apply_id_rules(
    data: pd.DataFrame, id_column: str, config: Config, dropped: list[tuple[int, str]]
) -> tuple[pd.DataFrame, list[CleaningStep]]:
    """Drop rows without an id, write whole-number ids as integers, apply the duplicate policy.

    Returns
    -------
    data : pandas.DataFrame
        The rows kept.
    steps : list of CleaningStep
        A ``duplicate_ids`` step when some id repeats.

    Raises
    ------
    DataError
        When ids repeat under ``cleaning.duplicate_ids`` policy ``error``.
    """
    steps = []
    missing_id = data[id_column].isna()
    data = drop_rows(data, missing_id, "missing_id", dropped)
    ids_read = data[id_column]
    if holds_whole_numbers(ids_read):
        # Whole-number ids read as floats because of a blank cell: 1001, not 1001.0.
        data[id_column] = ids_read.astype("int64")
    duplicated_any = data[id_column].duplicated(keep=False)
    if duplicated_any.any():
        policy = config.cleaning.duplicate_ids
        n_ids = int(data.loc[duplicated_any, id_column].nunique())
        if policy == "error":
            raise DataError(
                f"{n_ids} customer id(s) in {id_column!r} appear more than once "
                f"(e.g. {data.loc[duplicated_any, id_column].iloc[0]!r})",
                hint="fix the file or set cleaning.duplicate_ids to "
                "keep_first, keep_last or drop_all",
            )
        mask = data[id_column].duplicated(keep=_DUPLICATES_DROPPED[policy])  # type: ignore[arg-type]
        data = drop_rows(data, mask, "duplicate_id", dropped)
        steps.append(
            CleaningStep(
                "duplicate_ids",
                id_column,
                f"{n_ids} repeated id(s), policy {policy}",
                int(mask.sum()),
            )
        )
    return data, steps


def drop_missing_rows(
    data: pd.DataFrame,
    features: list[str],
    numeric: list[str],
    config: Config,
    dropped: list[tuple[int, str]],
) -> tuple[pd.DataFrame, list[CleaningStep]]:
    """Drop the rows the missing-value strategy drops, and those with no feature value.

    Columns whose strategy is ``drop`` lose their rows with a missing value; the other
    strategies fill them later, in the transformer, and are only noted here.

    Returns
    -------
    data : pandas.DataFrame
        The rows kept.
    steps : list of CleaningStep
        One ``missing`` step per column with values to fill.

    Raises
    ------
    DataError
        When no row is left.
    """
    missing_cfg = config.cleaning.missing
    steps = []
    for name in features:
        default = missing_cfg.numeric if name in numeric else missing_cfg.categorical
        strategy = missing_cfg.per_column.get(name, default)
        n_missing = int(data[name].isna().sum())
        if strategy == "drop":
            data = drop_rows(data, data[name].isna(), f"missing:{name}", dropped)
        elif n_missing:
            steps.append(
                CleaningStep(
                    "missing", name, f"{n_missing} missing value(s) filled ({strategy})", n_missing
                )
            )
            logger.info("Column %r: %d missing value(s) filled (%s)", name, n_missing, strategy)
    empty = data[features].isna().all(axis=1)
    data = drop_rows(data, empty, "no_feature_values", dropped)
    if len(data) == 0:
        raise DataError("no rows left after cleaning", hint="see the log for what was dropped")
    return data, steps


def dropped_table(
    dropped: list[tuple[int, str]], id_column: str | None, all_ids: pd.Series | None
) -> pd.DataFrame:
    """One row per dropped row: ``row`` (1-based), the id when there is one, ``reason``."""
    return pd.DataFrame(
        {
            ROW_COLUMN: [pos + 1 for pos, _ in dropped],
            **(
                {id_column: [all_ids.iloc[pos] for pos, _ in dropped]}
                if id_column is not None and all_ids is not None
                else {}
            ),
            "reason": [reason for _, reason in dropped],
        }
    )


def count_rows(
    n_read: int, n_kept: int, dropped: list[tuple[int, str]], n_outliers: int, n_fit: int
) -> dict[str, Any]:
    """Return the row counts of ``run.json`` and log them in one line."""
    reasons = Counter(reason for _, reason in dropped)
    counts: dict[str, Any] = {
        "read": n_read,
        "dropped": dict(sorted(reasons.items())),
        "kept": n_kept,
        "outliers": n_outliers,
        "fit": n_fit,
    }
    logger.info(
        "Rows: %d read, %d kept, %d dropped, %d outliers; %d shape the segments",
        n_read,
        n_kept,
        len(dropped),
        n_outliers,
        n_fit,
    )
    return counts
