"""A run's side of a database: the input it names, what it may write, and writing it.

:func:`resolve_input` tells a database INPUT from a file; :func:`plan_write_back` checks,
before any work, every flag of ``--to-table`` and the target itself (a table the run may
not replace, a server that does not answer); :func:`write_run_rows` and
:func:`write_rows` write the segments of a finished run or of scored customers.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from segmentkit.database.connection import is_database_url, resolve_url, shown_url
from segmentkit.database.read import split_name
from segmentkit.database.write import (
    IfExists,
    RulesView,
    check_target,
    segment_rows,
    write_segments_table,
)
from segmentkit.errors import ConfigError

if TYPE_CHECKING:
    from segmentkit.config import Config
    from segmentkit.pipeline import SegmentationRun

__all__ = [
    "plan_write_back",
    "refuse_clashing_columns",
    "resolve_input",
    "write_rows",
    "write_run_rows",
]

logger = logging.getLogger(__name__)


def resolve_input(
    path: str | Path | None, table: str | None, query: str | None, url_env: str | None = None
) -> tuple[str | None, str | Path]:
    """Return the input database's URL (``None`` for a file) and the input's shown name.

    The name is the file, or the URL with its password masked: what messages call it.

    Raises
    ------
    ConfigError
        No INPUT and no table or query; a table or query with a file; no URL anywhere.
    """
    if path is None:
        if table is None and query is None:
            raise ConfigError("no INPUT: give a file, or a database URL with --table or --query")
        url = resolve_url(None, url_env)
        return url, shown_url(url)
    if is_database_url(str(path)):
        return str(path), shown_url(str(path))
    if table is not None or query is not None:
        flag = "--table" if table is not None else "--query"
        raise ConfigError(
            f"{flag} needs a database URL as INPUT, got the file {path}",
            hint="for example postgresql://analyst@db.example.com/shop or sqlite:///shop.db",
        )
    return None, path


def plan_write_back(
    name: str | None,
    if_exists: IfExists,
    source_url: str | None,
    to_db: str | None,
    *,
    view: str | None = None,
    source_table: str | None = None,
    methods: list[str] | None = None,
) -> tuple[str, str] | None:
    """Return ``(url, table)`` the segments go to, checked before the work; or ``None``.

    Raises
    ------
    ConfigError
        A flag without ``--to-table``, no database to write to, a rules view outside the
        input database, or a target that is the input table.
    DataError
        The server does not answer, or the target exists and may not be replaced.
    """
    if view is not None and (name is None or source_url is None or to_db not in (None, source_url)):
        raise ConfigError(
            "--rules-view needs --to-table and a database INPUT, written to that database",
            hint="the view reads the input table: leave out --to-db",
        )
    if name is None:
        if to_db is not None:
            raise ConfigError("--to-db needs --to-table NAME", hint="add --to-table NAME")
        return None
    url = to_db or source_url
    if url is None:
        raise ConfigError(
            "--to-table needs a database: a database URL as INPUT, or --to-db URL",
            hint="for example --to-db postgresql://analyst@db.example.com/shop",
        )
    # The customers' own table is never a target: a replace would drop their columns.
    same_database = to_db is None or to_db == source_url
    taken = {split_name(source_table)} if source_table is not None and same_database else set()
    for flag, target in (("--to-table", name), ("--rules-view", view)):
        if target is None:
            continue
        if split_name(target) in taken:
            raise ConfigError(
                f"{flag} {target} is the input table: it would replace the customers",
                hint="name another table",
            )
        taken.add(split_name(target))
    check_target(url, name, if_exists, view, methods)
    return url, name


def refuse_clashing_columns(frame: pd.DataFrame) -> None:
    """Refuse a rules view over input columns it would name twice (``segment``, ...)."""
    clashing = [
        str(c) for c in frame.columns if str(c) == "segment" or str(c).startswith("segment_")
    ]
    if clashing:
        raise ConfigError(
            f"--rules-view adds columns segment and segment_<method> to the input's, which "
            f"already has {', '.join(repr(c) for c in clashing)}",
            hint="rename them in a --query (SELECT ..., segment AS old_segment ...) or leave "
            "out --rules-view",
        )


def write_run_rows(
    run: SegmentationRun, folder: Path, url: str, name: str, *, config: Config
) -> None:
    """Write a finished run's segments to the table; ``folder`` holds its ``run.json``."""
    from segmentkit.output.export import segment_rules_sql, segments_table
    from segmentkit.output.folder import SUMMARY_FILE
    from segmentkit.prepare.prepared_data import ROW_COLUMN

    if run.prepared.id_column == ROW_COLUMN and ROW_COLUMN not in run.prepared.raw.columns:
        logger.warning(
            "table %s: the input has no id column, so each row is keyed by its position in "
            "the rows read (%s), which a database does not keep; name the id with "
            "--id-column to join the segments back",
            name,
            ROW_COLUMN,
        )
    view = None
    if config.output.rules_view is not None:
        if run.rules:
            view = RulesView(
                config.output.rules_view,
                segment_rules_sql(run),
                table=config.input.table,
                query=config.input.query,
            )
        else:
            logger.warning(
                "view %s not created: this run has no segment rules", config.output.rules_view
            )
    # The rows name the run they come from: the first 16 hex of its run.json's SHA-256.
    write_rows(
        segments_table(run),
        folder / SUMMARY_FILE,
        url,
        name,
        if_exists=config.output.if_exists,
        view=view,
    )


def write_rows(
    table: pd.DataFrame,
    written: Path,
    url: str,
    name: str,
    *,
    if_exists: IfExists,
    view: RulesView | None = None,
) -> None:
    """Write ``table``'s segments to the database; ``run_id`` is from the file ``written``."""
    run_id = hashlib.sha256(written.read_bytes()).hexdigest()[:16]
    rows = segment_rows(table, run_id=run_id, segmented_at=pd.Timestamp.now(tz="UTC").floor("s"))
    write_segments_table(url, name, rows, if_exists=if_exists, view=view)
