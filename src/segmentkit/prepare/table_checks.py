"""First look at a customer table: its headers, its size, and the columns the config names.

These checks run before any cleaning rule, so a table that cannot be segmented at all
stops with a message about the table itself rather than about a column it happens to
break first.
"""

from __future__ import annotations

import logging

import pandas as pd

from segmentkit.config import Config
from segmentkit.errors import DataError
from segmentkit.prepare.cleaning import CleaningStep

__all__ = ["check_named_columns", "check_rows_differ", "trim_headers"]

logger = logging.getLogger(__name__)


def trim_headers(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[CleaningStep]]:
    """Return a copy with headers trimmed to text and rows numbered 0..n-1.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read. Not modified.

    Returns
    -------
    data : pandas.DataFrame
        The copy; its index is the 0-based position of each row in ``frame``.
    steps : list of CleaningStep
        A ``headers`` step when some header had surrounding whitespace.

    Raises
    ------
    DataError
        When two headers are the same once trimmed, or the table has fewer than two rows.
    """
    steps: list[CleaningStep] = []
    data = frame.copy()
    data.index = pd.RangeIndex(len(frame))
    renamed = {c: str(c).strip() for c in data.columns if str(c) != str(c).strip()}
    if renamed:
        data = data.rename(columns=renamed)
        steps.append(
            CleaningStep("headers", None, f"trimmed whitespace in {len(renamed)} header(s)")
        )
    data.columns = [str(c) for c in data.columns]
    if data.columns.duplicated().any():
        duplicated = sorted(set(data.columns[data.columns.duplicated()]))
        raise DataError(f"duplicate column name(s) after trimming headers: {duplicated}")
    if len(frame) == 0:
        raise DataError("the table has a header but no data rows")
    if len(frame) == 1:
        # Said plainly: otherwise every column is "constant" and the error would send the
        # user to --features/--exclude.
        raise DataError(
            "the table has only one data row; segmentation needs at least 2 customers",
            hint="check that the export finished and that you picked the right file",
        )
    return data, steps


def check_named_columns(frame: pd.DataFrame, config: Config) -> None:
    """Raise when a column the configuration names is not in ``frame``.

    Every such name is reported at once, each with the setting (and flag) that named it.

    Raises
    ------
    DataError
        Naming the missing columns, with the table's first 30 columns as a hint.
    """
    wanted: list[tuple[str, str]] = []
    inp = config.input
    if inp.id_column is not None:
        wanted.append(("input.id_column (--id-column)", inp.id_column))
    wanted += [("input.features (--features)", c) for c in inp.features or []]
    wanted += [("input.exclude (--exclude)", c) for c in inp.exclude]
    wanted += [("input.outcomes (--outcomes)", c) for c in inp.outcomes or []]
    wanted += [("input.roles", c) for c in inp.roles]
    wanted += [("cleaning.missing.per_column", c) for c in config.cleaning.missing.per_column]
    wanted += [
        ("cleaning.log_transform.columns", c) for c in config.cleaning.log_transform.columns or []
    ]
    wanted += [
        ("profiles.value_columns (--value-columns)", c) for c in config.profiles.value_columns or []
    ]
    both = [c for c in inp.features or [] if c in inp.exclude]
    if both:
        # --exclude wins; said aloud, since the user asked for the column twice over.
        logger.warning(
            "Column(s) both in --features and --exclude, so excluded: %s",
            ", ".join(repr(c) for c in both),
        )
    missing = [(where, name) for where, name in wanted if name not in frame.columns]
    if missing:
        available = ", ".join(repr(c) for c in frame.columns[:30])
        problems = "; ".join(f"{where} names {name!r}" for where, name in missing)
        raise DataError(
            f"column(s) not in the data: {problems}",
            hint=f"available columns: {available}",
        )


def check_rows_differ(frame: pd.DataFrame) -> None:
    """Raise when every row repeats the first: nothing tells the customers apart.

    Only called once no feature is left, where every column would otherwise be reported
    as "constant" with a hint about --features that cannot help.
    """
    first = frame.iloc[[0]].astype(str).to_numpy()
    if len(frame) > 1 and bool((frame.astype(str).to_numpy() == first).all()):
        raise DataError(
            f"all {len(frame)} rows are identical: nothing tells the customers apart",
            hint="check that the export finished and did not repeat one row",
        )
