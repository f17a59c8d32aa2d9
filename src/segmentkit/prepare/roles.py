"""Infer each column's role: id, numeric, categorical, date, outcome or unusable.

The rules are deliberately simple and every decision is returned with its reason, so the
log can say *why* a column was used or dropped and a user can override it in the config.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentkit.config import CleaningConfig, InputConfig
from segmentkit.describe.outcomes import outcome_values
from segmentkit.text import snake_case, without_units
from segmentkit.transactions.rfm_columns import is_rfm_column, is_rfm_table, rfm_derived_columns

__all__ = ["ColumnRole", "infer_roles", "looks_like_id_name", "looks_like_outcome_name"]

logger = logging.getLogger(__name__)

# "CustomerID", "CUST_ID", "client id", "id", "member_no" ... but not "paid" or "valid".
_ID_NAME = re.compile(
    r"(^|[\s_\-.])(id|no|number|key|code)$|^id([\s_\-.]|$)|(customer|cust|client|member|user|account)"
    r"[\s_\-.]?(id|no|number|key|code)$",
    re.IGNORECASE,
)
_CAMEL_ID = re.compile(r"[a-z]I[Dd]$")
# A name that says the column identifies the customer ("id", "CustomerID", "client_no").
_CUSTOMER_ID_NAME = re.compile(
    r"^id$|(^|[\s_\-.])(customer|cust|client|member|user|account)[\s_\-.]?"
    r"(id|no|number|key|code)$",
    re.IGNORECASE,
)
# Share of distinct values (over all rows) from which a column with an id-like name is the
# id. Concatenated exports repeat customers (20 repeats in 170 rows leave 88% distinct), so
# a customer-id name is trusted further than "order_no" or "postal_code", which can be
# nearly unique in a small table without identifying anyone.
_CUSTOMER_ID_MIN_DISTINCT = 0.85
_ID_MIN_DISTINCT = 0.95
# The header a reader gives a column that had none (``Unnamed: 0``), or pandas' "index".
_INDEX_NAME = re.compile(r"^(Unnamed: \d+(\.\d+)?|index)$", re.IGNORECASE)
# The result of a campaign, matched on the snake_case name without units. Whole names
# only, so features that merely contain a word ("response_time", "target_age_group",
# "conversion_rate", "churn_risk", "poutcome") are not caught:
# - the whole name: response, responded, converted, conversion, churn, churned, complain,
#   complained, complaint, complaints, subscribed, outcome, target, label, y;
# - accepted, alone or first (AcceptedCmp1 -> accepted_cmp1, accepted_offer);
# - is_/has_/did_/was_ and a result verb (is_churned, has_responded, did_convert);
# - a qualifier then response, responded, converted or churned (campaign_response).
_OUTCOME_NAME = re.compile(
    r"^(response|responded|converted|conversion|churn|churned|complain|complained|complaints?"
    r"|subscribed|outcome|target|label|y)$"
    r"|^accepted(_|$)"
    r"|^(is|has|did|was)_(respond(ed)?|response|convert(ed)?|churn(ed)?|complain(ed|t)?"
    r"|accept(ed)?|subscribe[ds]?)$"
    r"|_(response|responded|converted|churned)$"
)
_OUTCOME_REASON = "profiled per segment, never used to segment"


def looks_like_id_name(name: str) -> bool:
    """Return whether a column name reads like a customer identifier.

    Examples
    --------
    >>> [looks_like_id_name(n) for n in ["CustomerID", "CUST_ID", "id", "Paid", "Age"]]
    [True, True, True, False, False]
    """
    return bool(_ID_NAME.search(name.strip()) or _CAMEL_ID.search(name.strip()))


def looks_like_outcome_name(name: str) -> bool:
    """Return whether a column name reads like the result of a campaign (an outcome).

    Examples
    --------
    >>> names = ["Response", "AcceptedCmp1", "is_churned", "y", "Income", "target_age_group"]
    >>> [looks_like_outcome_name(n) for n in names]
    [True, True, True, True, False, False]
    """
    return bool(_OUTCOME_NAME.search(snake_case(without_units(name))))


@dataclass(frozen=True)
class ColumnRole:
    """The role of one column and why it was chosen.

    Attributes
    ----------
    column : str
        Column name.
    role : str
        One of ``id``, ``numeric``, ``categorical``, ``date``, ``outcome``, ``constant``,
        ``text``, ``ignore``. Only ``numeric``, ``categorical`` and ``date`` columns become
        features; an ``outcome`` (a campaign result) is profiled per segment instead.
    reason : str
        Human-readable reason, used in logs and the report.
    """

    column: str
    role: str
    reason: str

    @property
    def is_feature(self) -> bool:
        """Whether the column is used to segment."""
        return self.role in {"numeric", "categorical", "date"}


def _is_date_text(values: pd.Series) -> bool:
    sample = values.dropna().astype(str).head(200)
    if sample.empty or not sample.str.contains(r"\d").all():
        return False
    # Plain numbers are not dates even though the parser would accept some of them.
    if (
        sample.str.fullmatch(r"[\d.,\s+-]+").all()
        and not sample.str.fullmatch(r"\d{1,4}[-./]\d{1,2}[-./]\d{1,4}").all()
    ):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed", dayfirst=False)
    return bool(parsed.notna().mean() >= 0.95)


def _row_numbers(name: str, values: np.ndarray) -> str | None:
    """Describe ``values`` as an exported row index (``0..n-1`` or ``1..n``), else None.

    Spreadsheet and pandas exports often carry the row index as a first column without a
    header. It is unique and numeric, so it would otherwise become a feature that spreads
    the customers along their position in the file.
    """
    if not _INDEX_NAME.match(name.strip()) or len(values) < 2 or values[0] not in (0, 1):
        return None
    start = int(values[0])
    if not np.array_equal(values, np.arange(start, start + len(values))):
        return None
    return f"{start}..{start + len(values) - 1}"


def _infer_one(
    series: pd.Series, name: str, n_rows: int, cleaning: CleaningConfig, id_taken: bool
) -> ColumnRole:
    non_null = series.dropna()
    n_unique = int(non_null.nunique())
    if non_null.empty:
        return ColumnRole(name, "constant", "every value is missing")
    if n_unique == 1:
        value = non_null.iloc[0]
        # 58, not np.int64(58): the reason is read by people (log, run.json, report).
        value = value.item() if isinstance(value, np.generic) else value
        return ColumnRole(name, "constant", f"a single value ({value!r})")
    all_unique = n_unique == len(non_null) == n_rows
    # An id column may carry duplicates or gaps (concatenated exports repeat customers):
    # the duplicate-id policy in prepare handles those, so the name decides once most values
    # are distinct. Under the threshold a column with an id-like name is a code or attribute.
    min_distinct = (
        _CUSTOMER_ID_MIN_DISTINCT if _CUSTOMER_ID_NAME.search(name.strip()) else _ID_MIN_DISTINCT
    )
    mostly_unique = n_unique >= min_distinct * n_rows and n_rows >= 2
    # Said in the reason so a user seeing "Dropped 10 row(s): duplicate_id" knows why.
    unique = "unique" if all_unique else f"mostly unique ({n_unique} distinct in {n_rows} rows)"
    if pd.api.types.is_bool_dtype(series):
        return ColumnRole(name, "categorical", "true/false values")
    if pd.api.types.is_datetime64_any_dtype(series):
        return ColumnRole(name, "date", "date/time values")
    if pd.api.types.is_numeric_dtype(series):
        values = non_null.to_numpy(dtype=float)
        is_integer = bool(np.all(np.isfinite(values)) and np.all(np.mod(values, 1) == 0))
        if is_integer and len(values) == n_rows and (rows := _row_numbers(name, values)):
            return ColumnRole(
                name,
                "text",
                f"row numbers {rows} (an exported index), not a customer attribute",
            )
        if not id_taken and is_integer and mostly_unique and looks_like_id_name(name):
            return ColumnRole(name, "id", f"{unique} integer key with an id-like name")
        if is_integer and n_unique <= cleaning.max_integer_categories:
            return ColumnRole(name, "categorical", f"integer codes with {n_unique} distinct values")
        return ColumnRole(name, "numeric", "numbers")
    # Text from here on.
    if not id_taken and (
        (mostly_unique and looks_like_id_name(name)) or (all_unique and n_rows >= 20)
    ):
        return ColumnRole(name, "id", f"{unique} text key")
    if _is_date_text(non_null):
        return ColumnRole(name, "date", "text that parses as dates")
    if n_unique <= cleaning.max_categories:
        return ColumnRole(name, "categorical", f"text with {n_unique} distinct values")
    return ColumnRole(
        name,
        "text",
        f"free text or identifier: {n_unique} distinct values "
        f"(more than cleaning.max_categories = {cleaning.max_categories})",
    )


def _outcome(series: pd.Series, name: str, input_config: InputConfig) -> ColumnRole | None:
    """Return the outcome role of a column listed in, or detected under, ``input.outcomes``.

    Detection (``input.outcomes`` null) needs an outcome-like name and values that give a
    rate or a mean (numbers, true/false, yes/no), and never takes a column the user
    listed in ``input.features``.
    """
    if input_config.outcomes is not None:
        if name not in input_config.outcomes:
            return None
        return ColumnRole(name, "outcome", f"listed in input.outcomes; {_OUTCOME_REASON}")
    if name in (input_config.features or []) or not looks_like_outcome_name(name):
        return None
    if outcome_values(series) is None:
        return None
    return ColumnRole(name, "outcome", f"named like a campaign result; {_OUTCOME_REASON}")


def _customer_id(
    frame: pd.DataFrame, input_config: InputConfig, cleaning: CleaningConfig
) -> ColumnRole | None:
    """Return the first column named for the customer that qualifies as the id, if any."""
    for name in frame.columns:
        usable = name not in input_config.roles and name not in input_config.exclude
        if usable and _CUSTOMER_ID_NAME.search(str(name).strip()):
            guess = _infer_one(frame[name], name, len(frame), cleaning, False)
            if guess.role == "id":
                return guess
    return None


def _rfm_customer(frame: pd.DataFrame, input_config: InputConfig) -> ColumnRole | None:
    """Return the customer column of a table ``segmentkit rfm`` wrote, if it qualifies.

    ``rfm`` writes the customer id first, under the log's name for it, which need not read
    like an id (``column_2`` for a log without a header). The first column that is neither
    an RFM column nor an exported row index is taken when it is mostly unique and the
    config does not give it another part (roles, exclude, features).
    """
    if not is_rfm_table(frame.columns):
        return None
    first = next((c for c in frame.columns if not _INDEX_NAME.match(str(c).strip())), None)
    if first is None or is_rfm_column(first):
        return None
    if first in input_config.roles or first in input_config.exclude:
        return None
    if first in (input_config.features or []):
        return None
    n_rows = len(frame)
    n_unique = int(frame[first].dropna().nunique())
    if n_rows < 2 or n_unique < _CUSTOMER_ID_MIN_DISTINCT * n_rows:
        return None
    return ColumnRole(
        first, "id", "the customer column of a `segmentkit rfm` table: its first column"
    )


def infer_roles(
    frame: pd.DataFrame, input_config: InputConfig, cleaning: CleaningConfig
) -> dict[str, ColumnRole]:
    """Assign a role to every column of ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table after numeric text has been converted.
    input_config : InputConfig
        ``id_column``, ``features``, ``exclude``, ``outcomes`` and ``roles`` overrides.
    cleaning : CleaningConfig
        Cardinality thresholds.

    Returns
    -------
    dict
        Column name to :class:`ColumnRole`, in column order.
    """
    roles: dict[str, ColumnRole] = {}
    id_column = input_config.id_column
    for name, wanted in input_config.roles.items():
        if wanted == "id" and id_column is None:
            id_column = name
    # The first column of a `segmentkit rfm` table is the customer, whatever its name; and
    # a column named for the customer (customer_id) is the id even when another key-like
    # column (postal_code, order_no) comes first and is nearly unique too.
    preferred = (
        None
        if id_column is not None
        else _rfm_customer(frame, input_config) or _customer_id(frame, input_config, cleaning)
    )
    id_taken = id_column is not None or preferred is not None
    # A customer table from `segmentkit rfm`: its scores and extra measures are left out
    # unless named, so `rfm` + `run` segments like `run --transactions`.
    derived = rfm_derived_columns(frame.columns) if input_config.features is None else {}
    for name in frame.columns:
        override: str | None = input_config.roles.get(name)
        if name == id_column:
            roles[name] = ColumnRole(name, "id", "chosen as the id column in the config")
        elif preferred is not None and name == preferred.column:
            roles[name] = preferred
        elif override is not None:
            role = "ignore" if override == "id" else override
            roles[name] = ColumnRole(name, role, "set in the config")
        elif outcome := _outcome(frame[name], name, input_config):
            roles[name] = outcome
        elif name in input_config.exclude:
            roles[name] = ColumnRole(name, "ignore", "excluded in the config")
        elif name in derived:
            roles[name] = ColumnRole(name, "ignore", derived[name])
        elif input_config.features is not None and name not in input_config.features:
            # Still detect the id so segments.csv can carry it.
            guess = _infer_one(frame[name], name, len(frame), cleaning, id_taken)
            role = "id" if guess.role == "id" else "ignore"
            roles[name] = ColumnRole(
                name, role, guess.reason if role == "id" else "not among the chosen features"
            )
        else:
            roles[name] = _infer_one(frame[name], name, len(frame), cleaning, id_taken)
        if roles[name].role == "id":
            id_taken = True
    if input_config.features is not None:
        for name in input_config.features:
            if roles[name].role in {"id", "constant", "text"}:
                logger.warning(
                    "Feature %r was asked for but is %s (%s); it is not used",
                    name,
                    roles[name].role,
                    roles[name].reason,
                )
    return roles
